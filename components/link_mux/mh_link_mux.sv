`default_nettype none

// mh_link_mux: several word streams (virtual channels) onto one link word
// stream. The sending end of a multi-stream cut: each stream has its own
// mh_link_tx (own credit counter for its own receive buffer) whose words
// enter here; the word that leaves carries the channel number in its top
// TAG_WIDTH bits and the channel's word in the CHANNEL_WIDTH bits below.
// The same module merges the receivers' credit words on the way back.
//
// Arbitration is round-robin among the channels offering a word: the grant
// goes to the first offering channel at or after `next_q`, and `next_q`
// moves past a channel when its word is taken. An mh_link_tx offers a word
// only while it holds a credit, so the arbiter only ever chooses among
// streams that have both a word and room at the far end; a channel whose
// receiver is full is skipped and cannot hold the link.
// While a granted word waits (`data_out_valid` without `data_out_ready`) the
// grant is held, so `data_out` does not change until it is taken.
//
// Does not: buffer words (no register on the datapath), reorder words of
// one channel, or give a channel more than one word in a row while another
// offers one.
//
// Combinational: latency 0, II 1. `data_out_valid` depends on
// `data_in_valid` and registers only. Combinational paths: `data_in_valid`
// -> `data_out*`, `data_out_ready` -> `data_in_ready` (and `data_in_valid`
// -> `data_in_ready` through the grant).
// Reset clears the round-robin pointer and the held grant.

module mh_link_mux #(
  parameter int CHANNELS   = 2,   // streams sharing the link (>= 2)
  parameter int WORD_WIDTH = 64,  // link word width, bits (> TAG_WIDTH)
  // Derived: channel number bits, and the word width each channel carries.
  localparam int TAG_WIDTH     = $clog2(CHANNELS),
  localparam int CHANNEL_WIDTH = WORD_WIDTH - TAG_WIDTH
) (
  input  logic                                clk,
  input  logic                                rst,

  input  logic [CHANNELS-1:0][CHANNEL_WIDTH-1:0] data_in,
  input  logic [CHANNELS-1:0]                 data_in_valid,
  output logic [CHANNELS-1:0]                 data_in_ready,

  output logic [WORD_WIDTH-1:0]               data_out,
  output logic                                data_out_valid,
  input  logic                                data_out_ready
);

  logic [TAG_WIDTH-1:0] next_q;   // first channel the arbiter considers
  logic [TAG_WIDTH-1:0] hold_q;   // grant of a word that waits
  logic                 held_q;
  logic [TAG_WIDTH-1:0] pick;     // round-robin winner this cycle
  logic [TAG_WIDTH-1:0] grant;
  logic                 taken;

  always_comb begin
    pick = next_q;
    for (int k = CHANNELS - 1; k >= 0; k--) begin
      // Channel (next_q + k) mod CHANNELS; the lowest k offering wins.
      int j;
      j = int'(next_q) + k;
      if (j >= CHANNELS) begin
        j = j - CHANNELS;
      end
      if (data_in_valid[j]) begin
        pick = TAG_WIDTH'(j);
      end
    end
  end

  assign grant          = held_q ? hold_q : pick;
  assign data_out_valid = held_q || (|data_in_valid);
  assign data_out       = {grant, data_in[grant]};
  assign taken          = data_out_valid && data_out_ready;

  for (genvar k = 0; k < CHANNELS; k++) begin : gen_ready
    assign data_in_ready[k] = data_out_ready && data_out_valid && (grant == TAG_WIDTH'(k));
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      next_q <= '0;
      hold_q <= '0;
      held_q <= 1'b0;
    end else begin
      if (taken) begin
        next_q <= (int'(grant) == CHANNELS - 1) ? '0 : grant + 1'b1;
        held_q <= 1'b0;
      end else if (data_out_valid) begin
        hold_q <= grant;
        held_q <= 1'b1;
      end
    end
  end

endmodule

`resetall
