`default_nettype none

// mh_link_demux: one link word stream back into its virtual channels, the
// receiving end of a multi-stream cut (and, on the way back, the credit
// words to each stream's mh_link_tx). A word whose top TAG_WIDTH bits are
// k goes out on channel k with those bits dropped (framing in mh_link_mux).
//
// The link core's RX interface has no ready, and neither has this module:
// every word must be taken the cycle it arrives. That holds because each
// channel's mh_link_rx has a buffer of its own and its sender spends one of
// that buffer's credits per word, so a word on the link always has a free
// slot at its channel's receiver, whatever the other channels do.
//
// Does not: buffer, check the tag (a tag >= CHANNELS is dropped), or apply
// backpressure.
//
// Combinational, no state: latency 0, II 1. Combinational paths:
// `data_in*` -> `data_out*`.

module mh_link_demux #(
  parameter int CHANNELS   = 2,   // streams sharing the link (>= 2)
  parameter int WORD_WIDTH = 64,  // link word width, bits (> TAG_WIDTH)
  // Derived: channel number bits, and the word width each channel carries.
  localparam int TAG_WIDTH     = $clog2(CHANNELS),
  localparam int CHANNEL_WIDTH = WORD_WIDTH - TAG_WIDTH
) (
  input  logic [WORD_WIDTH-1:0]                  data_in,
  input  logic                                   data_in_valid,

  output logic [CHANNELS-1:0][CHANNEL_WIDTH-1:0] data_out,
  output logic [CHANNELS-1:0]                    data_out_valid
);

  logic [TAG_WIDTH-1:0] tag;

  assign tag = data_in[WORD_WIDTH-1 -: TAG_WIDTH];

  for (genvar k = 0; k < CHANNELS; k++) begin : gen_out
    assign data_out[k]       = data_in[CHANNEL_WIDTH-1:0];
    assign data_out_valid[k] = data_in_valid && (tag == TAG_WIDTH'(k));
  end

endmodule

`resetall
