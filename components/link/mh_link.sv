`default_nettype none

// mh_link: one stream carried over a modelled inter-FPGA link, end to end:
// mh_link_tx -> mh_link_model (forward words) -> mh_link_rx, with the
// receiver's credits going back through a second mh_link_model. It is what a
// cut of a multi-device system looks like in simulation, packaged as one
// stream-in, stream-out block so the co-simulation checks that the pair
// loses, duplicates and reorders nothing under idle input and backpressure.
//
// Does not: exist in hardware (the two link models stand for the link core
// and the cable); see mh_link_tx for the framing, mh_link_rx for the credits.
//
// Latency: LATENCY + 5 cycles for the first beat (+ SPLIT - 1 when a beat
// spans several words). II 1 while CREDITS covers the round trip and the
// bandwidth covers the beat rate.

module mh_link #(
  parameter int DATA_WIDTH     = 32,  // beat width, bits (>= 1)
  parameter int WORD_WIDTH     = 64,  // link word width, bits (>= 8)
  parameter int ITEM_BEATS     = 16,  // beats per item (>= 1)
  parameter int CREDITS        = 64,  // receiver buffer, words (>= 3)
  parameter int LATENCY        = 8,   // one-way link latency, cycles (>= 1)
  parameter int BITS_PER_CYCLE = 64   // link bandwidth, bits per cycle (1..WORD_WIDTH)
) (
  input  logic                  clk,
  input  logic                  rst,

  input  logic [DATA_WIDTH-1:0] data_in,
  input  logic                  data_in_valid,
  output logic                  data_in_ready,

  output logic [DATA_WIDTH-1:0] data_out,
  output logic                  data_out_valid,
  input  logic                  data_out_ready
);

  logic [WORD_WIDTH-1:0] tx_word;
  logic                  tx_valid;
  logic                  tx_ready;
  logic [WORD_WIDTH-1:0] rx_word;
  logic                  rx_valid;
  logic [WORD_WIDTH-1:0] credit_word;
  logic                  credit_valid;
  logic                  credit_ready;
  logic [WORD_WIDTH-1:0] credit_back;
  logic                  credit_back_valid;

  mh_link_tx #(
    .DATA_WIDTH (DATA_WIDTH),
    .WORD_WIDTH (WORD_WIDTH),
    .ITEM_BEATS (ITEM_BEATS),
    .CREDITS    (CREDITS)
  ) u_tx (
    .clk             (clk),
    .rst             (rst),
    .data_in         (data_in),
    .data_in_valid   (data_in_valid),
    .data_in_ready   (data_in_ready),
    .link_out        (tx_word),
    .link_out_valid  (tx_valid),
    .link_out_ready  (tx_ready),
    .credit_in       (credit_back),
    .credit_in_valid (credit_back_valid)
  );

  mh_link_model #(
    .WORD_WIDTH     (WORD_WIDTH),
    .LATENCY        (LATENCY),
    .BITS_PER_CYCLE (BITS_PER_CYCLE)
  ) u_forward (
    .clk            (clk),
    .rst            (rst),
    .data_in        (tx_word),
    .data_in_valid  (tx_valid),
    .data_in_ready  (tx_ready),
    .data_out       (rx_word),
    .data_out_valid (rx_valid)
  );

  mh_link_rx #(
    .DATA_WIDTH (DATA_WIDTH),
    .WORD_WIDTH (WORD_WIDTH),
    .ITEM_BEATS (ITEM_BEATS),
    .CREDITS    (CREDITS)
  ) u_rx (
    .clk              (clk),
    .rst              (rst),
    .link_in          (rx_word),
    .link_in_valid    (rx_valid),
    .data_out         (data_out),
    .data_out_valid   (data_out_valid),
    .data_out_ready   (data_out_ready),
    .credit_out       (credit_word),
    .credit_out_valid (credit_valid),
    .credit_out_ready (credit_ready)
  );

  mh_link_model #(
    .WORD_WIDTH     (WORD_WIDTH),
    .LATENCY        (LATENCY),
    .BITS_PER_CYCLE (BITS_PER_CYCLE)
  ) u_reverse (
    .clk            (clk),
    .rst            (rst),
    .data_in        (credit_word),
    .data_in_valid  (credit_valid),
    .data_in_ready  (credit_ready),
    .data_out       (credit_back),
    .data_out_valid (credit_back_valid)
  );

endmodule

`resetall
