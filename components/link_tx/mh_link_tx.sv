`default_nettype none

// mh_link_tx: the sending end of an inter-FPGA link. Packs a stream of
// DATA_WIDTH-bit lane blocks (beats) into WORD_WIDTH-bit words for a serial
// link core's AXI-Stream user interface (Aurora 64B/66B takes 64 bits per
// lane) and sends a word only while it holds a credit for the receiver's
// buffer.
//
// Framing (no header bits; both ends know the parameters):
//   DATA_WIDTH <= WORD_WIDTH: PACK = WORD_WIDTH / DATA_WIDTH beats per word,
//     beat j of a word in bits [j*DATA_WIDTH +: DATA_WIDTH]; the last word
//     of an item (ITEM_BEATS beats) carries the ITEM_BEATS mod PACK beats
//     left (if nonzero) and zeros above them.
//   DATA_WIDTH >  WORD_WIDTH: SPLIT = ceil(DATA_WIDTH / WORD_WIDTH) words per
//     beat, word i carrying beat bits [i*WORD_WIDTH +: WORD_WIDTH], the last
//     one zero-padded.
// Credits: the counter starts at CREDITS (the receiver's buffer, words),
// drops by one per word sent and rises by the count each credit word on
// `credit_in` carries (bits [COUNT_WIDTH-1:0], the rest zero). `credit_in`
// has no ready, like the RX side of a link core: it is always taken.
//
// Does not: retransmit, check integrity (the link core's CRC does), carry
// several streams, or flush a partial word before its item ends.
//
// `link_out` and `link_out_valid` come from registers. `data_in_ready`
// depends combinationally on `link_out_ready` (a full assembly register is
// emptied into the output in the cycle the next beat enters), never on
// `data_in_valid`. Latency: 1 cycle from the beat completing a word to that
// word on `link_out`. II 1 on the narrower side while credits last.
// Reset clears control state and sets the credit counter to CREDITS.

module mh_link_tx #(
  parameter int DATA_WIDTH = 32,  // beat (lane block) width, bits (>= 1)
  parameter int WORD_WIDTH = 64,  // link word width, bits (>= 8)
  parameter int ITEM_BEATS = 16,  // beats per item (>= 1)
  parameter int CREDITS    = 64   // receiver buffer, words (>= 3)
) (
  input  logic                  clk,
  input  logic                  rst,

  input  logic [DATA_WIDTH-1:0] data_in,
  input  logic                  data_in_valid,
  output logic                  data_in_ready,

  output logic [WORD_WIDTH-1:0] link_out,
  output logic                  link_out_valid,
  input  logic                  link_out_ready,

  input  logic [WORD_WIDTH-1:0] credit_in,
  input  logic                  credit_in_valid
);

  // Beats per word (packing) and words per beat (splitting).
  localparam int PACK  = (DATA_WIDTH <= WORD_WIDTH) ? WORD_WIDTH / DATA_WIDTH : 1;
  localparam int SPLIT = (DATA_WIDTH + WORD_WIDTH - 1) / WORD_WIDTH;
  // Width of the credit counter 0..CREDITS.
  localparam int COUNT_WIDTH = $clog2(CREDITS + 1);

  logic [COUNT_WIDTH-1:0] credits_q;     // words the receiver can still take
  logic [WORD_WIDTH-1:0]  out_word_q;    // output register, not reset
  logic                   out_valid_q;
  logic                   out_free;    // the output register can load this edge
  logic                   send;        // a word moves into the output register
  logic [COUNT_WIDTH-1:0] returned;    // credits arriving this cycle

  assign out_free = !out_valid_q || link_out_ready;
  assign returned = credit_in_valid ? credit_in[COUNT_WIDTH-1:0] : '0;

  // Credit words carry their count in the low bits only.
  logic unused_credit_high;
  assign unused_credit_high = ^credit_in[WORD_WIDTH-1:COUNT_WIDTH];

  // Credits and output register valid (reset).
  always_ff @(posedge clk) begin
    if (rst) begin
      credits_q   <= COUNT_WIDTH'(CREDITS);
      out_valid_q <= 1'b0;
    end else begin
      credits_q <= credits_q + returned - COUNT_WIDTH'(send);
      if (send) begin
        out_valid_q <= 1'b1;
      end else if (link_out_ready) begin
        out_valid_q <= 1'b0;
      end
    end
  end

  generate
    if (SPLIT == 1) begin : gen_pack
      // Beats are collected into `acc`; a full `acc` waits in place until it
      // can move to the output register.
      localparam int SLOT_WIDTH = (PACK > 1) ? $clog2(PACK) : 1;
      localparam logic [SLOT_WIDTH-1:0] LAST_SLOT = SLOT_WIDTH'(PACK - 1);
      // Width of the beat-in-item counter.
      localparam int ITEM_WIDTH = (ITEM_BEATS > 1) ? $clog2(ITEM_BEATS) : 1;
      localparam logic [ITEM_WIDTH-1:0] LAST_BEAT = ITEM_WIDTH'(ITEM_BEATS - 1);
      logic [PACK-1:0][DATA_WIDTH-1:0] acc_q;    // not reset
      logic [SLOT_WIDTH-1:0]           slot_q;   // next slot to fill
      logic [ITEM_WIDTH-1:0]           beat_q;   // beat of the item
      logic                            full_q;   // acc holds a finished word
      logic                            take;

      assign send          = full_q && out_free && (credits_q != '0);
      assign data_in_ready = !full_q || send;
      assign take          = data_in_valid && data_in_ready;

      always_ff @(posedge clk) begin
        if (rst) begin
          slot_q <= '0;
          beat_q <= '0;
          full_q <= 1'b0;
        end else begin
          if (take) begin
            beat_q <= (beat_q == LAST_BEAT) ? '0 : beat_q + 1'b1;
            if (slot_q == LAST_SLOT || beat_q == LAST_BEAT) begin
              slot_q <= '0;
              full_q <= 1'b1;
            end else begin
              slot_q <= slot_q + 1'b1;
              full_q <= 1'b0;
            end
          end else if (send) begin
            full_q <= 1'b0;
          end
        end
      end

      // Slots above the last beat of an item's final word are zero.
      always_ff @(posedge clk) begin
        for (int j = 0; j < PACK; j++) begin
          if (take && SLOT_WIDTH'(j) == slot_q) begin
            acc_q[j] <= data_in;
          end else if (take && SLOT_WIDTH'(j) > slot_q && (beat_q == LAST_BEAT)) begin
            acc_q[j] <= '0;
          end
        end
      end

      always_ff @(posedge clk) begin
        if (send) begin
          out_word_q <= WORD_WIDTH'(acc_q);
        end
      end
    end else begin : gen_split
      // A beat is held in `hold` and sent one word at a time.
      localparam int PART_WIDTH = $clog2(SPLIT);
      localparam logic [PART_WIDTH-1:0] LAST_PART = PART_WIDTH'(SPLIT - 1);
      logic [SPLIT-1:0][WORD_WIDTH-1:0] hold_q;   // not reset
      logic [PART_WIDTH-1:0]            part_q;   // next word of `hold` to send
      logic                             held_q;
      logic                             take;

      assign send          = held_q && out_free && (credits_q != '0);
      assign data_in_ready = !held_q || (send && part_q == LAST_PART);
      assign take          = data_in_valid && data_in_ready;

      always_ff @(posedge clk) begin
        if (rst) begin
          part_q <= '0;
          held_q <= 1'b0;
        end else begin
          if (send) begin
            part_q <= (part_q == LAST_PART) ? '0 : part_q + 1'b1;
          end
          if (take) begin
            held_q <= 1'b1;
          end else if (send && part_q == LAST_PART) begin
            held_q <= 1'b0;
          end
        end
      end

      always_ff @(posedge clk) begin
        if (take) begin
          hold_q <= (SPLIT * WORD_WIDTH)'(data_in);
        end
      end

      always_ff @(posedge clk) begin
        if (send) begin
          out_word_q <= hold_q[part_q];
        end
      end
    end
  endgenerate

  assign link_out       = out_word_q;
  assign link_out_valid = out_valid_q;

endmodule

`resetall
