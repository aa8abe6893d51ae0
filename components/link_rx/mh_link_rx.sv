`default_nettype none

// mh_link_rx: the receiving end of an inter-FPGA link. Takes the words
// mh_link_tx sends (framing in mh_link_tx) from a link core's RX user
// interface, which has no ready, buffers them in a FIFO of CREDITS words,
// unpacks them into DATA_WIDTH-bit beats and returns one credit per word
// that leaves the buffer.
//
// The buffer never overflows because the sender holds at most CREDITS
// credits: every word it sends was paid for by a slot that is free here.
// Freed slots are counted and returned as credit words on `credit_out`
// (count in bits [COUNT_WIDTH-1:0], the rest zero; one word carries every
// credit freed since the last one, so the reverse channel needs at most one
// word per forward word and usually far fewer).
//
// Sizing: the sender stalls once it has sent CREDITS words whose credits
// have not come back. A word's credit returns one round trip after it was
// sent: forward link latency + buffer latency (2) + unpacking + one cycle
// to the credit register + reverse link latency + 1. For full rate,
// CREDITS >= words per cycle x that round trip (see docs/components.md).
//
// Does not: accept words beyond the credits it granted (`link_in_valid`
// with a full buffer is a protocol error of the sender), check integrity,
// or reorder.
//
// `data_out`, `data_out_valid`, `credit_out` and `credit_out_valid` come from
// registers (the FIFO's output register and, when a beat spans several
// words, the assembly register; in the packed case `data_out` selects a
// slot of the registered word by a registered index). Latency: 3 cycles
// from a word on `link_in` to its first beat. II 1 on the narrower side.
// Reset clears control state; data registers are not reset.

module mh_link_rx #(
  parameter int DATA_WIDTH = 32,  // beat (lane block) width, bits (>= 1)
  parameter int WORD_WIDTH = 64,  // link word width, bits (>= 8)
  parameter int ITEM_BEATS = 16,  // beats per item (>= 1)
  parameter int CREDITS    = 64   // buffer, words (>= 3)
) (
  input  logic                  clk,
  input  logic                  rst,

  input  logic [WORD_WIDTH-1:0] link_in,
  input  logic                  link_in_valid,

  output logic [DATA_WIDTH-1:0] data_out,
  output logic                  data_out_valid,
  input  logic                  data_out_ready,

  output logic [WORD_WIDTH-1:0] credit_out,
  output logic                  credit_out_valid,
  input  logic                  credit_out_ready
);

  localparam int PACK  = (DATA_WIDTH <= WORD_WIDTH) ? WORD_WIDTH / DATA_WIDTH : 1;
  localparam int SPLIT = (DATA_WIDTH + WORD_WIDTH - 1) / WORD_WIDTH;
  localparam int COUNT_WIDTH = $clog2(CREDITS + 1);

  logic [WORD_WIDTH-1:0] word;        // oldest buffered word
  logic                  word_valid;
  logic                  pop;         // the oldest word leaves the buffer
  logic                  unused_full_n;

  // Capacity DEPTH + 1 = CREDITS words.
  mh_fifo #(
    .DATA_WIDTH(WORD_WIDTH),
    .DEPTH     (CREDITS - 1)
  ) u_buffer (
    .clk           (clk),
    .rst           (rst),
    .data_in       (link_in),
    .data_in_valid (link_in_valid),
    .data_in_ready (unused_full_n),
    .data_out      (word),
    .data_out_valid(word_valid),
    .data_out_ready(pop)
  );

  generate
    if (SPLIT == 1) begin : gen_unpack
      // Beats leave straight from the FIFO's output register, one slot after
      // another; the word is popped with its last beat.
      localparam int SLOT_WIDTH = (PACK > 1) ? $clog2(PACK) : 1;
      localparam logic [SLOT_WIDTH-1:0] LAST_SLOT = SLOT_WIDTH'(PACK - 1);
      localparam int ITEM_WIDTH = (ITEM_BEATS > 1) ? $clog2(ITEM_BEATS) : 1;
      localparam logic [ITEM_WIDTH-1:0] LAST_BEAT = ITEM_WIDTH'(ITEM_BEATS - 1);
      logic [PACK-1:0][DATA_WIDTH-1:0] slots;
      logic [SLOT_WIDTH-1:0]           slot_q;
      logic [ITEM_WIDTH-1:0]           beat_q;
      logic                            give;

      assign slots          = (PACK * DATA_WIDTH)'(word);
      assign data_out       = slots[slot_q];
      assign data_out_valid = word_valid;
      assign give           = word_valid && data_out_ready;
      assign pop            = give && (slot_q == LAST_SLOT || beat_q == LAST_BEAT);

      if (PACK * DATA_WIDTH < WORD_WIDTH) begin : gen_spare
        logic unused_spare;
        assign unused_spare = ^word[WORD_WIDTH-1:PACK*DATA_WIDTH];
      end

      always_ff @(posedge clk) begin
        if (rst) begin
          slot_q <= '0;
          beat_q <= '0;
        end else if (give) begin
          beat_q <= (beat_q == LAST_BEAT) ? '0 : beat_q + 1'b1;
          slot_q <= pop ? '0 : slot_q + 1'b1;
        end
      end
    end else begin : gen_assemble
      // The first SPLIT - 1 words of a beat are collected in `asm`; the last
      // one goes with them into the output register.
      localparam int PART_WIDTH = $clog2(SPLIT);
      localparam logic [PART_WIDTH-1:0] LAST_PART = PART_WIDTH'(SPLIT - 1);
      logic [SPLIT-2:0][WORD_WIDTH-1:0] asm_q;   // not reset
      logic [SPLIT-1:0][WORD_WIDTH-1:0] whole;
      logic [PART_WIDTH-1:0]            part_q;
      logic [DATA_WIDTH-1:0]            out_beat_q;  // not reset
      logic                             out_valid_q;
      logic                             last;

      assign last  = (part_q == LAST_PART);
      assign pop   = word_valid && (!last || !out_valid_q || data_out_ready);
      assign whole = {word, asm_q};

      if (SPLIT * WORD_WIDTH > DATA_WIDTH) begin : gen_pad
        logic unused_pad;
        assign unused_pad = ^whole[SPLIT-1][WORD_WIDTH-1:DATA_WIDTH-(SPLIT-1)*WORD_WIDTH];
      end

      always_ff @(posedge clk) begin
        if (rst) begin
          part_q      <= '0;
          out_valid_q <= 1'b0;
        end else begin
          if (pop) begin
            part_q <= last ? '0 : part_q + 1'b1;
          end
          if (pop && last) begin
            out_valid_q <= 1'b1;
          end else if (data_out_ready) begin
            out_valid_q <= 1'b0;
          end
        end
      end

      always_ff @(posedge clk) begin
        if (pop && !last) begin
          asm_q[part_q] <= word;
        end
        if (pop && last) begin
          out_beat_q <= DATA_WIDTH'(whole);
        end
      end

      assign data_out       = out_beat_q;
      assign data_out_valid = out_valid_q;
    end
  endgenerate

  // Credit return: every popped word frees one slot.
  logic [COUNT_WIDTH-1:0] pending_q;      // freed, not yet returned
  logic [COUNT_WIDTH-1:0] pending_d;
  logic [COUNT_WIDTH-1:0] credit_q;     // not reset
  logic                   credit_valid_q;

  assign pending_d = pending_q + COUNT_WIDTH'(pop);

  always_ff @(posedge clk) begin
    if (rst) begin
      pending_q      <= '0;
      credit_valid_q <= 1'b0;
    end else if (!credit_valid_q || credit_out_ready) begin
      credit_valid_q <= (pending_d != '0);
      pending_q      <= '0;
    end else begin
      pending_q <= pending_d;
    end
  end

  always_ff @(posedge clk) begin
    if (!credit_valid_q || credit_out_ready) begin
      credit_q <= pending_d;
    end
  end

  assign credit_out       = WORD_WIDTH'(credit_q);
  assign credit_out_valid = credit_valid_q;

endmodule

`resetall
