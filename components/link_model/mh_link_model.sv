`default_nettype none

// mh_link_model: simulation-only model of one direction of a serial link
// (a link core's TX user interface on one device to its RX user interface on
// the other), so several device tops can be simulated as one system.
//
// Semantics (the cycle simulator's link model implements the same):
//   * A bit budget starts at WORD_WIDTH on reset. `data_in_ready` is high
//     exactly when budget >= WORD_WIDTH (registered state only). Each cycle:
//       taken (valid && ready):  budget' = budget - WORD_WIDTH + BITS_PER_CYCLE
//       ready, not taken:        budget' = budget
//       not ready:               budget' = budget + BITS_PER_CYCLE
//     so tokens are never lost while a word waits: under continuous demand
//     the n-th word after an idle start is taken ceil(n * WORD_WIDTH /
//     BITS_PER_CYCLE) cycles after the first, i.e. BITS_PER_CYCLE /
//     WORD_WIDTH words per cycle in the long run, never more than one per
//     cycle; an idle link banks at most one word (budget < WORD_WIDTH +
//     BITS_PER_CYCLE).
//   * A word taken on cycle t is on `data_out` with `data_out_valid` high on
//     cycle t + LATENCY only (one cycle; there is no ready, like a link
//     core's RX interface: the receiver must take it).
//   * Nothing is lost, duplicated or reordered.
//
// Not synthesizable as a link (it is a delay line); the real design places
// the link core (Aurora 64B/66B) here.

module mh_link_model #(
  parameter int WORD_WIDTH     = 64,  // link word width, bits (>= 1)
  parameter int LATENCY        = 8,   // cycles from a word taken to it delivered (>= 1)
  parameter int BITS_PER_CYCLE = 64   // payload bandwidth, bits per cycle (1..WORD_WIDTH)
) (
  input  logic                  clk,
  input  logic                  rst,

  input  logic [WORD_WIDTH-1:0] data_in,
  input  logic                  data_in_valid,
  output logic                  data_in_ready,

  output logic [WORD_WIDTH-1:0] data_out,
  output logic                  data_out_valid
);

  localparam int BUDGET_WIDTH = $clog2(2 * WORD_WIDTH + 1);  // budget < 2 * WORD_WIDTH
  localparam logic [BUDGET_WIDTH-1:0] FULL = BUDGET_WIDTH'(WORD_WIDTH);
  localparam logic [BUDGET_WIDTH-1:0] GAIN = BUDGET_WIDTH'(BITS_PER_CYCLE);

  logic [BUDGET_WIDTH-1:0] budget_q;
  logic                    taken;
  logic [LATENCY-1:0]                 valid_q;  // delay line, stage 0 newest
  logic [LATENCY-1:0][WORD_WIDTH-1:0] data_q;

  assign taken         = data_in_valid && data_in_ready;
  assign data_in_ready = (budget_q >= FULL);

  always_ff @(posedge clk) begin
    if (rst) begin
      budget_q <= FULL;
      valid_q  <= '0;
    end else begin
      if (taken) begin
        budget_q <= budget_q - FULL + GAIN;
      end else if (!data_in_ready) begin
        budget_q <= budget_q + GAIN;
      end
      valid_q <= LATENCY'({valid_q, taken});
    end
  end

  always_ff @(posedge clk) begin
    data_q <= (LATENCY * WORD_WIDTH)'({data_q, data_in});
  end

  assign data_out       = data_q[LATENCY-1];
  assign data_out_valid = valid_q[LATENCY-1];

endmodule

`resetall
