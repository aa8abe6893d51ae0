`default_nettype none

// mh_mul: elementwise product of two signed streams `a` and `b`.
//
// Beats of `a` and `b` pair up in order; lane i of the output is
// cast(a[i] * b[i]). The product is exact: PROD_WIDTH = A_WIDTH + B_WIDTH
// bits, fractional width A_FRAC_WIDTH + B_FRAC_WIDTH (golden mul_format); it
// is registered (stage 1, maps to the multiplier's product register), then
// cast once to OUT_WIDTH / OUT_FRAC_WIDTH by mh_cast_lane with ROUNDING and
// OVERFLOW (docs/components.md) and registered (stage 2).
//
// Two-stage pipeline with one enable: every stage advances when the output
// register is empty or being emptied. Latency 2 cycles, initiation
// interval 1. A pair is taken when both inputs are valid and the pipeline
// advances:
//   a_ready = b_ready = a_valid && b_valid && (!data_out_valid || data_out_ready).
// Combinational paths: data_out_ready -> a_ready, b_ready; b_valid -> a_ready;
// a_valid -> b_ready. `data_out_valid` and `data_out` are registers.
// Reset clears the two valid bits only.
//
// Does not: buffer one input while the other is late, fill pipeline bubbles
// while the output is stalled, accept unsigned operands, or validate
// parameters.

module mh_mul #(
  parameter int A_WIDTH        = 16,  // operand a lane width, bits (signed)
  parameter int A_FRAC_WIDTH   = 8,   // operand a fractional bits
  parameter int B_WIDTH        = 16,  // operand b lane width, bits (signed)
  parameter int B_FRAC_WIDTH   = 8,   // operand b fractional bits
  parameter int OUT_WIDTH      = 16,  // output lane width, bits (signed)
  parameter int OUT_FRAC_WIDTH = 8,   // output fractional bits
  parameter int ROUNDING       = 2,   // rounding code 0..6 (docs/components.md)
  parameter int OVERFLOW       = 1,   // overflow code 0..3 (docs/components.md)
  parameter int PARALLELISM    = 1    // lanes per beat
) (
  input  logic                                  clk,
  input  logic                                  rst,

  input  logic [PARALLELISM-1:0][A_WIDTH-1:0]   a,
  input  logic                                  a_valid,
  output logic                                  a_ready,

  input  logic [PARALLELISM-1:0][B_WIDTH-1:0]   b,
  input  logic                                  b_valid,
  output logic                                  b_ready,

  output logic [PARALLELISM-1:0][OUT_WIDTH-1:0] data_out,
  output logic                                  data_out_valid,
  input  logic                                  data_out_ready
);

  // Exact product format (golden mul_format).
  localparam int PROD_WIDTH = A_WIDTH + B_WIDTH;
  localparam int PROD_FRAC  = A_FRAC_WIDTH + B_FRAC_WIDTH;

  logic                                   advance;      // every stage moves this edge
  logic                                   take;         // a pair moves this edge
  logic                                   prod_valid_q; // stage 1 holds a product
  logic [PARALLELISM-1:0][PROD_WIDTH-1:0] prod_q;       // stage 1: exact products
  logic [PARALLELISM-1:0][OUT_WIDTH-1:0]  cast_data;    // combinational lane results

  assign advance = !data_out_valid || data_out_ready;
  assign take    = a_valid && b_valid && advance;
  assign a_ready = take;
  assign b_ready = take;

  for (genvar i = 0; i < PARALLELISM; i++) begin : gen_lane
    always_ff @(posedge clk) begin
      if (take) begin
        prod_q[i] <= PROD_WIDTH'($signed(a[i])) * PROD_WIDTH'($signed(b[i]));
      end
    end
    mh_cast_lane #(
      .IN_WIDTH      (PROD_WIDTH),
      .IN_FRAC_WIDTH (PROD_FRAC),
      .IN_SIGNED     (1),
      .OUT_WIDTH     (OUT_WIDTH),
      .OUT_FRAC_WIDTH(OUT_FRAC_WIDTH),
      .OUT_SIGNED    (1),
      .ROUNDING      (ROUNDING),
      .OVERFLOW      (OVERFLOW)
    ) u_cast (
      .data_in (prod_q[i]),
      .data_out(cast_data[i])
    );
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      prod_valid_q   <= 1'b0;
      data_out_valid <= 1'b0;
    end else if (advance) begin
      prod_valid_q   <= a_valid && b_valid;
      data_out_valid <= prod_valid_q;
    end
  end

  always_ff @(posedge clk) begin
    if (advance && prod_valid_q) begin
      data_out <= cast_data;
    end
  end

endmodule

`resetall
