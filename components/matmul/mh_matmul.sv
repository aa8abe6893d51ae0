`default_nettype none

// mh_matmul: activation x activation matrix product C = A * B, streamed,
// fixed point, one matrix pair ("head") after another.
//
// Per head, A is [M_SIZE, K_SIZE] on stream `a` (K_PARALLELISM lanes a beat,
// row-major), B is [K_SIZE, N_SIZE] on stream `b` (N_PARALLELISM lanes a
// beat, row-major) or, with TRANSPOSE_B = 1, B^T is [N_SIZE, K_SIZE] on `b`
// (K_PARALLELISM lanes a beat, row-major: e.g. K for Q * K^T, no separate
// transpose pass), and C is [M_SIZE, N_SIZE] on `data_out` (N_PARALLELISM
// lanes a beat, row-major). Heads follow each other on every stream with no
// separator. All data signed. Products are exact (A_WIDTH + B_WIDTH bits,
// frac A_FRAC_WIDTH + B_FRAC_WIDTH), summed exactly over K_SIZE in
// ACC_WIDTH = A_WIDTH + B_WIDTH + clog2(K_SIZE) bits, and cast once
// (mh_cast_lane) to OUT_WIDTH / OUT_FRAC_WIDTH with ROUNDING / OVERFLOW.
//
// B is the buffered operand: a head's whole B is stored before its first
// block issues, into one half of a ping-pong buffer (2 x K_SIZE x N_SIZE
// elements) while the previous head computes from the other half. The
// buffer is split into NB banks of one `b` beat each (K_PARALLELISM banks of
// N_PARALLELISM lanes, or with TRANSPOSE_B N_PARALLELISM banks of
// K_PARALLELISM lanes); word j*KB + k of every bank together is the block
// B[k*Pk + i][j*Pn + o], i < Pk, o < Pn. A beat of `b` goes to one bank, so
// transposition is only the bank orientation and the write address order:
// the buffering cost is 2 * K_SIZE * N_SIZE * B_WIDTH bits either way.
// A is the streamed operand: each row of A is held in a ping-pong row buffer
// (2 x KB words of Pk lanes) and replayed once per output block.
//
// Order of work for one row of A (as mh_linear with W = B^T): for each
// output block j in 0..JB-1, for each input block k in 0..KB-1 (KB =
// K_SIZE / K_PARALLELISM, JB = N_SIZE / N_PARALLELISM), one block of
// Pk x Pn products a cycle into a non-stalling pipeline: row buffer and B
// buffer read (1), multipliers (1), one adder tree per output lane
// (clog2(K_PARALLELISM) register levels, mh_pipelined_adder_tree), accumulator
// over the KB blocks (1), cast register (1), then an output FIFO (mh_fifo).
// The last block of an output beat issues only while a credit says a FIFO
// entry is free for it, so backpressure on `data_out` stops issue, never a
// pipeline stage, and no ready path runs through the pipeline.
//
// Does not: check that sizes divide (the generator validates K_SIZE %
// K_PARALLELISM == 0 and N_SIZE % N_PARALLELISM == 0), round anywhere but
// the final cast, start a head before its whole B is stored, or reset the
// datapath or buffers. `a` and `b` must flow independently: `a` is taken
// only two rows ahead of the computation, so a producer that sends all of
// A before B deadlocks when M_SIZE > 2.
//
// Timing, with NBT = beats of one head's B (K_SIZE * N_SIZE / lanes of `b`):
// one block a cycle, a head every max(M*KB*JB, NBT) cycles when fed and not
// backpressured, heads back to back (the next B loads during the current
// head). Latency from the first input handshake (`a` and `b` both offered
// from an idle start, no backpressure) to the first `data_out` handshake:
// NBT + KB + clog2(K_PARALLELISM) + 5 cycles (B complete after NBT cycles,
// then KB blocks, 4 + clog2(K_PARALLELISM) stages to the FIFO input, 2
// through mh_fifo; `b` is taken at once from idle, so this also counts from
// the first `b` handshake when A's first row arrives within NBT cycles).
// II on `data_out`: KB cycles a beat, or NBT / (M*JB) on
// average when loading B takes longer than computing a head.
// Combinational ready paths: none. `a_ready` and `b_ready` are functions of
// registers only; `data_out_valid` and `data_out` come from the FIFO's
// registers.

module mh_matmul #(
  parameter int A_WIDTH        = 8,   // a lane width, bits
  parameter int A_FRAC_WIDTH   = 4,   // a fractional bits
  parameter int B_WIDTH        = 8,   // b lane width, bits
  parameter int B_FRAC_WIDTH   = 4,   // b fractional bits
  parameter int OUT_WIDTH      = 8,   // data_out lane width, bits
  parameter int OUT_FRAC_WIDTH = 4,   // data_out fractional bits
  parameter int ROUNDING       = 2,   // output rounding code 0..6 (RND)
  parameter int OVERFLOW       = 1,   // output overflow code 0..3 (SAT)
  parameter int M_SIZE         = 4,   // rows of A and C per head (elements)
  parameter int K_SIZE         = 8,   // columns of A, rows of B (elements)
  parameter int N_SIZE         = 4,   // columns of B and C (elements)
  parameter int K_PARALLELISM  = 4,   // products summed per cycle per output (divides K_SIZE)
  parameter int N_PARALLELISM  = 2,   // data_out lanes (divides N_SIZE)
  parameter int TRANSPOSE_B    = 0    // 1: `b` carries B^T [N_SIZE, K_SIZE]
) (
  input  logic                                                     clk,
  input  logic                                                     rst,

  input  logic [K_PARALLELISM-1:0][A_WIDTH-1:0]                    a,
  input  logic                                                     a_valid,
  output logic                                                     a_ready,

  input  logic [((TRANSPOSE_B != 0) ? K_PARALLELISM : N_PARALLELISM)-1:0][B_WIDTH-1:0] b,
  input  logic                                                     b_valid,
  output logic                                                     b_ready,

  output logic [N_PARALLELISM-1:0][OUT_WIDTH-1:0]                  data_out,
  output logic                                                     data_out_valid,
  input  logic                                                     data_out_ready
);

  // ------------------------------------------------------------ derived sizes

  localparam int PK = K_PARALLELISM;               // products per output lane a cycle
  localparam int PN = N_PARALLELISM;               // output lanes
  localparam int KB = K_SIZE / K_PARALLELISM;      // blocks per output beat
  localparam int JB = N_SIZE / N_PARALLELISM;      // output beats per row
  localparam int KW = (KB > 1) ? $clog2(KB) : 1;   // input block counter width
  localparam int JW = (JB > 1) ? $clog2(JB) : 1;   // output block counter width
  localparam int MW = (M_SIZE > 1) ? $clog2(M_SIZE) : 1; // row counter width
  localparam int XAW = $clog2(2 * KB);             // row buffer address width
  localparam int BD = KB * JB;                     // B buffer words per head and bank
  localparam int BAW = $clog2(2 * BD);             // B buffer address width
  localparam int BDW = (BD > 1) ? $clog2(BD) : 1;  // B read counter width

  // B banks: a `b` beat of PB lanes goes to one of NB banks.
  localparam int PB = (TRANSPOSE_B != 0) ? PK : PN; // lanes of `b`
  localparam int NB = (TRANSPOSE_B != 0) ? PN : PK; // banks
  // Write counters, innermost first: c0 runs over R0, c1 picks the bank,
  // c2 over R2. TRANSPOSE_B = 0: (c0, c1, c2) = (j, i, k block) for
  // B[k*Pk + i][j*Pn + o]; TRANSPOSE_B = 1: (k block, o, j) for
  // B^T[j*Pn + o][k*Pk + i]. Bank word: j*KB + k block.
  localparam int R0 = (TRANSPOSE_B != 0) ? KB : JB;
  localparam int R2 = (TRANSPOSE_B != 0) ? JB : KB;
  localparam int C0W = (R0 > 1) ? $clog2(R0) : 1;
  localparam int C1W = (NB > 1) ? $clog2(NB) : 1;
  localparam int C2W = (R2 > 1) ? $clog2(R2) : 1;

  // Fixed point: exact products and their exact sum over K_SIZE.
  localparam int PROD_FRAC = A_FRAC_WIDTH + B_FRAC_WIDTH;
  localparam int PW = A_WIDTH + B_WIDTH;           // exact product width
  localparam int TREE_LEVELS = $clog2(K_PARALLELISM);
  localparam int ACC_WIDTH = PW + $clog2(K_SIZE);  // golden accumulator width

  // Pipeline: stage 1 = buffer reads, 2 = products, T = adder tree sum,
  // then accumulator, cast register, output FIFO.
  localparam int T = 2 + TREE_LEVELS;
  // Assumed mh_fifo latency (push edge to data_out_valid), cycles.
  localparam int FIFO_LATENCY = 2;
  // Cycles from issuing a beat's last block to its credit returning when the
  // FIFO is drained every cycle: T stages, accumulator, cast, FIFO, counter.
  localparam int CREDIT_LOOP = T + 2 + FIFO_LATENCY + 1;
  // Output FIFO memory entries: max(2, ceil(CREDIT_LOOP / KB)), the fewest
  // whose credits never stall issue without backpressure.
  localparam int OUT_FIFO_DEPTH = ((CREDIT_LOOP + KB - 1) / KB > 2)
                                  ? (CREDIT_LOOP + KB - 1) / KB : 2;

  // ---------------------------------------------------------- A row buffer

  // Ping-pong: bank r holds words r*KB .. r*KB+KB-1 (one `a` beat each).
  logic [PK*A_WIDTH-1:0] row_mem [2*KB];
  logic [1:0]            row_full_q;  // row bank holds a complete, unconsumed row
  logic                  awr_bank_q;  // row bank `a` writes into
  logic [KW-1:0]         awr_cnt_q;   // next word of awr_bank_q
  logic                  ard_bank_q;  // row bank issue reads from
  logic                  awr;         // `a` handshake
  logic                  awr_last;    // ... with the last beat of a row
  logic [XAW-1:0]        awr_addr;
  logic [XAW-1:0]        ard_addr;

  // Issue state: the next block is (j_q, k_q) of row m_q of the head.
  logic [KW-1:0] k_q;
  logic [JW-1:0] j_q;
  logic [MW-1:0] m_q;
  logic          k_first;     // first block of an output beat
  logic          k_last;      // last block of an output beat
  logic          row_last;    // last block of the row
  logic          head_last;   // last block of the head
  logic          row_avail;   // row buffer word k_q of ard_bank_q is stored
  logic          b_avail;     // the head's B is stored
  logic          credit_ok;   // a last block may issue (output FIFO slot free)
  logic          issue;       // one block enters the pipeline

  assign awr      = a_valid && a_ready;
  assign awr_last = awr_cnt_q == KW'(KB - 1);
  assign a_ready  = !row_full_q[awr_bank_q];
  assign awr_addr = awr_bank_q ? XAW'(KB) + XAW'(awr_cnt_q) : XAW'(awr_cnt_q);
  assign ard_addr = ard_bank_q ? XAW'(KB) + XAW'(k_q) : XAW'(k_q);

  always_ff @(posedge clk) begin
    if (awr) begin
      row_mem[awr_addr] <= a;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      row_full_q <= 2'b00;
      awr_bank_q <= 1'b0;
      awr_cnt_q  <= '0;
      ard_bank_q <= 1'b0;
    end else begin
      // A bank is filled only while empty (a_ready) and emptied only while
      // full, so the two updates never hit the same bank.
      if (awr && awr_last) begin
        row_full_q[awr_bank_q] <= 1'b1;
      end
      if (issue && row_last) begin
        row_full_q[ard_bank_q] <= 1'b0;
        ard_bank_q             <= !ard_bank_q;
      end
      if (awr) begin
        awr_cnt_q <= awr_last ? '0 : awr_cnt_q + KW'(1);
        if (awr_last) begin
          awr_bank_q <= !awr_bank_q;
        end
      end
    end
  end

  // ------------------------------------------------------------ B buffer

  logic [1:0]     b_full_q;   // B half holds a complete, unconsumed matrix
  logic           bwr_bank_q; // B half `b` writes into
  logic           brd_bank_q; // B half issue reads from
  logic [C0W-1:0] c0_q;       // write counters (see R0, NB, R2)
  logic [C1W-1:0] c1_q;
  logic [C2W-1:0] c2_q;
  logic           c0_last;
  logic           c1_last;
  logic           c2_last;
  logic           bwr;        // `b` handshake
  logic           bwr_last;   // ... with the last beat of a head
  logic [BAW-1:0] bwr_word;   // word within the written half
  logic [BAW-1:0] bwr_addr;
  logic [BDW-1:0] brd_cnt_q;  // next word within the read half
  logic [BAW-1:0] brd_addr;

  assign bwr      = b_valid && b_ready;
  assign b_ready  = !b_full_q[bwr_bank_q];
  assign c0_last  = c0_q == C0W'(R0 - 1);
  assign c1_last  = c1_q == C1W'(NB - 1);
  assign c2_last  = c2_q == C2W'(R2 - 1);
  assign bwr_last = c0_last && c1_last && c2_last;
  assign bwr_addr = bwr_bank_q ? BAW'(BD) + bwr_word : bwr_word;
  assign brd_addr = brd_bank_q ? BAW'(BD) + BAW'(brd_cnt_q) : BAW'(brd_cnt_q);

  if (TRANSPOSE_B != 0) begin : gen_word_t
    assign bwr_word = BAW'(c2_q) * BAW'(KB) + BAW'(c0_q);
  end else begin : gen_word_n
    assign bwr_word = BAW'(c0_q) * BAW'(KB) + BAW'(c2_q);
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      b_full_q   <= 2'b00;
      bwr_bank_q <= 1'b0;
      brd_bank_q <= 1'b0;
      c0_q       <= '0;
      c1_q       <= '0;
      c2_q       <= '0;
    end else begin
      // As for the row buffer: set only while empty, cleared only while full.
      if (bwr && bwr_last) begin
        b_full_q[bwr_bank_q] <= 1'b1;
        bwr_bank_q           <= !bwr_bank_q;
      end
      if (issue && head_last) begin
        b_full_q[brd_bank_q] <= 1'b0;
        brd_bank_q           <= !brd_bank_q;
      end
      if (bwr) begin
        c0_q <= c0_last ? '0 : c0_q + C0W'(1);
        if (c0_last) begin
          c1_q <= c1_last ? '0 : c1_q + C1W'(1);
          if (c1_last) begin
            c2_q <= c2_last ? '0 : c2_q + C2W'(1);
          end
        end
      end
    end
  end

  // ------------------------------------------------------------------- issue

  assign k_first   = k_q == '0;
  assign k_last    = k_q == KW'(KB - 1);
  assign row_last  = k_last && (j_q == JW'(JB - 1));
  assign head_last = row_last && (m_q == MW'(M_SIZE - 1));
  // Word k_q is stored once its bank is full, or, for the row being written
  // (the first output block of a row that started early), once awr_cnt_q > k_q.
  assign row_avail = row_full_q[ard_bank_q]
                     || ((ard_bank_q == awr_bank_q) && (k_q < awr_cnt_q));
  assign b_avail   = b_full_q[brd_bank_q];
  assign issue     = row_avail && b_avail && (!k_last || credit_ok);

  always_ff @(posedge clk) begin
    if (rst) begin
      k_q       <= '0;
      j_q       <= '0;
      m_q       <= '0;
      brd_cnt_q <= '0;
    end else if (issue) begin
      k_q       <= k_last ? '0 : k_q + KW'(1);
      brd_cnt_q <= row_last ? '0 : brd_cnt_q + BDW'(1);
      if (k_last) begin
        j_q <= row_last ? '0 : j_q + JW'(1);
      end
      if (row_last) begin
        m_q <= head_last ? '0 : m_q + MW'(1);
      end
    end
  end

  // Pipeline valid and tag bits for stages 1..T (control, reset).
  logic [T:1] v_q;      // stage holds a block
  logic [T:1] first_q;  // ... the first of its output beat
  logic [T:1] last_q;   // ... the last of its output beat

  always_ff @(posedge clk) begin
    if (rst) begin
      v_q <= '0;
    end else begin
      v_q <= {v_q[T-1:1], issue};
    end
  end

  always_ff @(posedge clk) begin
    first_q <= {first_q[T-1:1], k_first};
    last_q  <= {last_q[T-1:1], k_last};
  end

  // ------------------------------------------------- stage 1: operand registers

  logic [PK-1:0][A_WIDTH-1:0]         x_q;  // A block
  logic [NB-1:0][PB-1:0][B_WIDTH-1:0] w_q;  // B block, one word per bank

  always_ff @(posedge clk) begin
    if (issue) begin
      x_q <= row_mem[ard_addr];
    end
  end

  for (genvar g = 0; g < NB; g++) begin : gen_bank
    logic [PB*B_WIDTH-1:0] mem [2*BD];

    always_ff @(posedge clk) begin
      if (bwr && (c1_q == C1W'(g))) begin
        mem[bwr_addr] <= b;
      end
    end

    always_ff @(posedge clk) begin
      if (issue) begin
        w_q[g] <= mem[brd_addr];
      end
    end
  end

  // ------------------------ stages 2..T, accumulator, cast: per output lane o

  logic                         acc_done_q;  // accumulators hold finished sums
  logic                         out_valid_q; // out_beat holds a beat for the FIFO
  logic [PN-1:0][OUT_WIDTH-1:0] out_beat;    // cast beat (mh_mac_lane output registers)

  for (genvar o = 0; o < PN; o++) begin : gen_lane
    // B[k*Pk + i][j*Pn + o]: bank i lane o, or with TRANSPOSE_B bank o lane i.
    logic [PK-1:0][B_WIDTH-1:0] w_lane;

    for (genvar i = 0; i < PK; i++) begin : gen_w
      if (TRANSPOSE_B != 0) begin : gen_t
        assign w_lane[i] = w_q[o][i];
      end else begin : gen_n
        assign w_lane[i] = w_q[i][o];
      end
    end

    mh_mac_lane #(
      .A_WIDTH        (A_WIDTH),
      .B_WIDTH        (B_WIDTH),
      .SIZE           (PK),
      .ACC_WIDTH      (ACC_WIDTH),
      .ACC_FRAC_WIDTH (PROD_FRAC),
      .PROD_SHIFT     (0),
      .SHIFT_WIDTH    (1),
      .OUT_WIDTH      (OUT_WIDTH),
      .OUT_FRAC_WIDTH (OUT_FRAC_WIDTH),
      .ROUNDING       (ROUNDING),
      .OVERFLOW       (OVERFLOW)
    ) u_mac (
      .clk       (clk),
      .a         (x_q),
      .b         (w_lane),
      .acc_en    (v_q[T]),
      .acc_first (first_q[T]),
      .acc_init  (ACC_WIDTH'(0)),
      .shift     (1'b0),
      .out_en    (acc_done_q),
      .data_out  (out_beat[o])
    );
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      acc_done_q  <= 1'b0;
      out_valid_q <= 1'b0;
    end else begin
      acc_done_q  <= v_q[T] && last_q[T];
      out_valid_q <= acc_done_q;
    end
  end

  // ------------------------------------------------------ output FIFO, credits

  logic out_claim;  // the last block of an output beat issues: it takes a FIFO entry

  assign out_claim = issue && k_last;

  mh_credit_fifo #(
    .DATA_WIDTH (PN * OUT_WIDTH),
    .DEPTH      (OUT_FIFO_DEPTH)
  ) u_out_fifo (
    .clk            (clk),
    .rst            (rst),
    .claim          (out_claim),
    .credit_ok      (credit_ok),
    .data_in        (out_beat),
    .data_in_valid  (out_valid_q),
    .data_out       (data_out),
    .data_out_valid (data_out_valid),
    .data_out_ready (data_out_ready)
  );

endmodule

`resetall
