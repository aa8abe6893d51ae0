`default_nettype none

// mh_link_vc: CHANNELS streams carried over ONE modelled inter-FPGA link,
// end to end, as a multi-stream cut of a multi-device system is built: per
// stream an mh_link_tx (its own credits) into mh_link_mux, the tagged words
// through mh_link_model to mh_link_demux and per stream an mh_link_rx (its
// own buffer of CREDITS words); the receivers' credit words go back the
// same way (mh_link_mux, a second mh_link_model, mh_link_demux) to their
// own mh_link_tx. Packaged as one block so the co-simulation checks, with
// every output stalled independently, that no channel loses, duplicates or
// reorders a beat and that a stalled channel never blocks another.
//
// Each channel is an mh_link of word width WORD_WIDTH - TAG_WIDTH
// (TAG_WIDTH = $clog2(CHANNELS) bits of every link word name the channel).
//
// Does not: exist in hardware (the two link models stand for the link core
// and the cable); see mh_link_mux for the arbitration.
//
// Latency: that of mh_link at the channel word width (the mux and demux add
// none). II: channels share the link's words round-robin.

module mh_link_vc #(
  parameter int CHANNELS       = 2,   // streams sharing the link (>= 2)
  parameter int DATA_WIDTH     = 32,  // beat width of every channel, bits (>= 1)
  parameter int WORD_WIDTH     = 64,  // link word width, bits (>= 8 + TAG_WIDTH)
  parameter int ITEM_BEATS     = 16,  // beats per item of every channel (>= 1)
  parameter int CREDITS        = 64,  // receiver buffer per channel, words (>= 3)
  parameter int LATENCY        = 8,   // one-way link latency, cycles (>= 1)
  parameter int BITS_PER_CYCLE = 64,  // link bandwidth, bits per cycle (1..WORD_WIDTH)
  // Derived: the word width each channel's link ends use.
  localparam int CHANNEL_WIDTH = WORD_WIDTH - $clog2(CHANNELS)
) (
  input  logic                                clk,
  input  logic                                rst,

  input  logic [CHANNELS-1:0][DATA_WIDTH-1:0] data_in,
  input  logic [CHANNELS-1:0]                 data_in_valid,
  output logic [CHANNELS-1:0]                 data_in_ready,

  output logic [CHANNELS-1:0][DATA_WIDTH-1:0] data_out,
  output logic [CHANNELS-1:0]                 data_out_valid,
  input  logic [CHANNELS-1:0]                 data_out_ready
);

  logic [CHANNELS-1:0][CHANNEL_WIDTH-1:0] tx_word;
  logic [CHANNELS-1:0]                    tx_valid;
  logic [CHANNELS-1:0]                    tx_ready;
  logic [CHANNELS-1:0][CHANNEL_WIDTH-1:0] rx_word;
  logic [CHANNELS-1:0]                    rx_valid;
  logic [CHANNELS-1:0][CHANNEL_WIDTH-1:0] credit_word;
  logic [CHANNELS-1:0]                    credit_valid;
  logic [CHANNELS-1:0]                    credit_ready;
  logic [CHANNELS-1:0][CHANNEL_WIDTH-1:0] credit_back;
  logic [CHANNELS-1:0]                    credit_back_valid;
  logic [WORD_WIDTH-1:0] fwd_in;
  logic                  fwd_in_valid;
  logic                  fwd_in_ready;
  logic [WORD_WIDTH-1:0] fwd_out;
  logic                  fwd_out_valid;
  logic [WORD_WIDTH-1:0] rev_in;
  logic                  rev_in_valid;
  logic                  rev_in_ready;
  logic [WORD_WIDTH-1:0] rev_out;
  logic                  rev_out_valid;

  for (genvar k = 0; k < CHANNELS; k++) begin : gen_channel
    mh_link_tx #(
      .DATA_WIDTH (DATA_WIDTH),
      .WORD_WIDTH (CHANNEL_WIDTH),
      .ITEM_BEATS (ITEM_BEATS),
      .CREDITS    (CREDITS)
    ) u_tx (
      .clk             (clk),
      .rst             (rst),
      .data_in         (data_in[k]),
      .data_in_valid   (data_in_valid[k]),
      .data_in_ready   (data_in_ready[k]),
      .link_out        (tx_word[k]),
      .link_out_valid  (tx_valid[k]),
      .link_out_ready  (tx_ready[k]),
      .credit_in       (credit_back[k]),
      .credit_in_valid (credit_back_valid[k])
    );

    mh_link_rx #(
      .DATA_WIDTH (DATA_WIDTH),
      .WORD_WIDTH (CHANNEL_WIDTH),
      .ITEM_BEATS (ITEM_BEATS),
      .CREDITS    (CREDITS)
    ) u_rx (
      .clk              (clk),
      .rst              (rst),
      .link_in          (rx_word[k]),
      .link_in_valid    (rx_valid[k]),
      .data_out         (data_out[k]),
      .data_out_valid   (data_out_valid[k]),
      .data_out_ready   (data_out_ready[k]),
      .credit_out       (credit_word[k]),
      .credit_out_valid (credit_valid[k]),
      .credit_out_ready (credit_ready[k])
    );
  end

  mh_link_mux #(
    .CHANNELS   (CHANNELS),
    .WORD_WIDTH (WORD_WIDTH)
  ) u_mux (
    .clk            (clk),
    .rst            (rst),
    .data_in        (tx_word),
    .data_in_valid  (tx_valid),
    .data_in_ready  (tx_ready),
    .data_out       (fwd_in),
    .data_out_valid (fwd_in_valid),
    .data_out_ready (fwd_in_ready)
  );

  mh_link_model #(
    .WORD_WIDTH     (WORD_WIDTH),
    .LATENCY        (LATENCY),
    .BITS_PER_CYCLE (BITS_PER_CYCLE)
  ) u_forward (
    .clk            (clk),
    .rst            (rst),
    .data_in        (fwd_in),
    .data_in_valid  (fwd_in_valid),
    .data_in_ready  (fwd_in_ready),
    .data_out       (fwd_out),
    .data_out_valid (fwd_out_valid)
  );

  mh_link_demux #(
    .CHANNELS   (CHANNELS),
    .WORD_WIDTH (WORD_WIDTH)
  ) u_demux (
    .data_in        (fwd_out),
    .data_in_valid  (fwd_out_valid),
    .data_out       (rx_word),
    .data_out_valid (rx_valid)
  );

  mh_link_mux #(
    .CHANNELS   (CHANNELS),
    .WORD_WIDTH (WORD_WIDTH)
  ) u_credit_mux (
    .clk            (clk),
    .rst            (rst),
    .data_in        (credit_word),
    .data_in_valid  (credit_valid),
    .data_in_ready  (credit_ready),
    .data_out       (rev_in),
    .data_out_valid (rev_in_valid),
    .data_out_ready (rev_in_ready)
  );

  mh_link_model #(
    .WORD_WIDTH     (WORD_WIDTH),
    .LATENCY        (LATENCY),
    .BITS_PER_CYCLE (BITS_PER_CYCLE)
  ) u_reverse (
    .clk            (clk),
    .rst            (rst),
    .data_in        (rev_in),
    .data_in_valid  (rev_in_valid),
    .data_in_ready  (rev_in_ready),
    .data_out       (rev_out),
    .data_out_valid (rev_out_valid)
  );

  mh_link_demux #(
    .CHANNELS   (CHANNELS),
    .WORD_WIDTH (WORD_WIDTH)
  ) u_credit_demux (
    .data_in        (rev_out),
    .data_in_valid  (rev_out_valid),
    .data_out       (credit_back),
    .data_out_valid (credit_back_valid)
  );

endmodule

`resetall
