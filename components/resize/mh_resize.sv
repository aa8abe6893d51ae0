`default_nettype none

// mh_resize: lane-width converter (gearbox) between two streams of WIDTH-bit
// elements, IN_PARALLELISM lanes in, OUT_PARALLELISM lanes out, any pair.
//
// Elements leave in exactly the order they arrive (lane 0 first within a
// beat), regrouped into beats of OUT_PARALLELISM lanes. The element buffer is
// a shift register of CAP_CHUNKS chunks of G = gcd(IN, OUT) elements: the
// oldest chunk sits in slot 0 and `data_out` is slots 0..B-1 (B = OUT / G),
// so the output needs no read multiplexer. A taken output beat shifts the
// buffer down by B slots; an accepted input beat (A = IN / G chunks) is
// written right after the chunks kept, so slot k only ever selects among the
// input chunks k - s for the few fill levels s at which it can be written.
//
//   CAP_CHUNKS = max(A, B) + 2 * min(A, B) - 1
//
// is the smallest buffer for which the narrow side never waits in steady
// state with registered handshakes: widening (IN <= OUT) accepts an input
// beat every cycle, narrowing (IN > OUT) emits an output beat every cycle.
// IN == OUT degenerates to a two-beat register slice.
//
// Does not: change, drop, pad or reorder elements; check that the stream ends
// on a whole output beat (the tensor row length must be a multiple of
// lcm(IN, OUT); a partial output beat waits for more input); flush.
//
// Fully registered: `data_out`, `data_out_valid` and `data_in_ready` come
// straight from registers, so there is no combinational path between the
// two sides (not from `data_out_ready` to `data_in_ready`, nor from
// `data_in_valid`/`data_in` to any output). `data_out_ready` and
// `data_in_valid` only steer the buffer's next state.
// Latency (first input beat taken to first output beat, no stalls):
// ceil(OUT / IN) cycles (1 when narrowing or equal).
// II 1 on the narrower stream (on `data_in` when IN <= OUT, else on
// `data_out`); the wider stream moves at IN/OUT resp. OUT/IN beats per cycle.
// Reset clears the fill count and the two handshake registers; the element
// buffer is not reset. `data_in_ready` is high right after reset (drive
// `data_in_valid` low while `rst` is high).

module mh_resize #(
  parameter int WIDTH           = 16,  // element (lane) width, bits (>= 1)
  parameter int IN_PARALLELISM  = 4,   // lanes per input beat (>= 1)
  parameter int OUT_PARALLELISM = 2    // lanes per output beat (>= 1)
) (
  input  logic                                  clk,
  input  logic                                  rst,

  input  logic [IN_PARALLELISM-1:0][WIDTH-1:0]  data_in,
  input  logic                                  data_in_valid,
  output logic                                  data_in_ready,

  output logic [OUT_PARALLELISM-1:0][WIDTH-1:0] data_out,
  output logic                                  data_out_valid,
  input  logic                                  data_out_ready
);

  // Greatest common divisor of the two lane counts (Euclid).
  function automatic int gcd(input int x, input int y);
    int a;
    int b;
    int t;
    a = x;
    b = y;
    while (b != 0) begin
      t = a % b;
      a = b;
      b = t;
    end
    return a;
  endfunction

  // Elements per chunk: the unit both sides move in.
  localparam int G = gcd(IN_PARALLELISM, OUT_PARALLELISM);
  // Chunks per input beat and per output beat.
  localparam int A = IN_PARALLELISM / G;
  localparam int B = OUT_PARALLELISM / G;
  // Buffer capacity, chunks.
  localparam int CAP_CHUNKS = ((A > B) ? A : B) + 2 * ((A < B) ? A : B) - 1;
  // Highest fill level at which an input beat is accepted (CAP_CHUNKS - A).
  localparam int PUSH_MAX = CAP_CHUNKS - A;
  // Chunk width, bits.
  localparam int CHUNK_WIDTH = G * WIDTH;
  // Width of the fill count 0..CAP_CHUNKS.
  localparam int COUNT_WIDTH = $clog2(CAP_CHUNKS + 1);
  // Fill-count constants.
  localparam logic [COUNT_WIDTH-1:0] A_COUNT   = COUNT_WIDTH'(A);
  localparam logic [COUNT_WIDTH-1:0] B_COUNT   = COUNT_WIDTH'(B);
  localparam logic [COUNT_WIDTH-1:0] PUSH_LAST = COUNT_WIDTH'(PUSH_MAX);

  logic [A-1:0][CHUNK_WIDTH-1:0]          in_chunks;  // data_in as chunks
  logic [CAP_CHUNKS-1:0][CHUNK_WIDTH-1:0] slots_q;    // element buffer, oldest in slot 0, not reset
  logic [CAP_CHUNKS-1:0][CHUNK_WIDTH-1:0] slots_d;
  logic [CAP_CHUNKS-1:0][CHUNK_WIDTH-1:0] kept;       // slots after this edge's pop, before the push
  logic [COUNT_WIDTH-1:0]                 count_q;    // chunks held
  logic [COUNT_WIDTH-1:0]                 kept_count; // chunks held after this edge's pop
  logic [COUNT_WIDTH-1:0]                 count_d;
  logic                                   out_valid_q;  // registered (count >= B)
  logic                                   in_ready_q;   // registered (count <= PUSH_MAX)
  logic                                   push;         // an input beat is taken this edge
  logic                                   pop;          // an output beat is taken this edge

  assign in_chunks  = data_in;
  assign push       = data_in_valid && in_ready_q;
  assign pop        = out_valid_q && data_out_ready;
  assign kept_count = pop ? count_q - B_COUNT : count_q;
  assign count_d    = push ? kept_count + A_COUNT : kept_count;

  // Control (reset).
  always_ff @(posedge clk) begin
    if (rst) begin
      count_q     <= '0;
      out_valid_q <= 1'b0;
      in_ready_q  <= 1'b1;
    end else begin
      count_q     <= count_d;
      out_valid_q <= (count_d >= B_COUNT);
      in_ready_q  <= (count_d <= PUSH_LAST);
    end
  end

  // Datapath: slot k keeps (or, on a pop, takes slot k + B); at or above the
  // kept chunks it takes input chunk k - kept_count. Slots above the fill
  // level hold nothing, so they load whatever data_in carries and no enable
  // is needed.
  for (genvar k = 0; k < CAP_CHUNKS; k++) begin : gen_slot
    // Fill levels at which input chunk k - s lands in this slot.
    localparam int S_LO = (k - A + 1 > 0) ? k - A + 1 : 0;
    localparam int S_HI = (k < PUSH_MAX) ? k : PUSH_MAX;

    if (k + B < CAP_CHUNKS) begin : gen_shift
      assign kept[k] = pop ? slots_q[k + B] : slots_q[k];
    end else begin : gen_top
      assign kept[k] = slots_q[k];
    end

    logic [CHUNK_WIDTH-1:0] chunk_kept;  // kept[k]
    logic [CHUNK_WIDTH-1:0] chunk_next;  // next contents of this slot

    assign chunk_kept = kept[k];

    always_comb begin
      chunk_next = chunk_kept;
      for (int s = S_LO; s <= S_HI; s++) begin
        if (kept_count == COUNT_WIDTH'(s)) begin
          chunk_next = in_chunks[k - s];
        end
      end
    end

    assign slots_d[k] = chunk_next;
  end

  always_ff @(posedge clk) begin
    slots_q <= slots_d;
  end

  assign data_out       = slots_q[B-1:0];
  assign data_out_valid = out_valid_q;
  assign data_in_ready  = in_ready_q;

endmodule

`resetall
