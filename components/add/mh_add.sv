`default_nettype none

// mh_add: elementwise sum of two signed streams `a` and `b` (residual add).
//
// Beats of `a` and `b` pair up in order; lane i of the output is
// cast(a[i] + b[i]). The operands may have different formats: both are
// aligned to the common fractional width F = max(A_FRAC_WIDTH, B_FRAC_WIDTH)
// by exact left shifts and added exactly in SUM_WIDTH bits
// (max(A_WIDTH + F - A_FRAC_WIDTH, B_WIDTH + F - B_FRAC_WIDTH) + 1, the
// golden add_format); the sum is cast once to OUT_WIDTH / OUT_FRAC_WIDTH by
// mh_cast_lane with ROUNDING and OVERFLOW (docs/components.md).
//
// Registered output (valid and data), latency 1, initiation interval 1 with
// no bubble. A pair is taken when both inputs are valid and the output
// register is empty or being emptied:
//   a_ready = b_ready = a_valid && b_valid && (!data_out_valid || data_out_ready).
// Combinational paths: data_out_ready -> a_ready, b_ready; b_valid -> a_ready;
// a_valid -> b_ready (ready never drives a valid, so no loop forms).
// Reset clears the output valid bit only.
//
// Does not: buffer one input while the other is late (an early input waits
// with its ready low), accept unsigned operands, or validate parameters.

module mh_add #(
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

  // Common fractional width and the left shift of each operand onto it.
  localparam int F = (A_FRAC_WIDTH > B_FRAC_WIDTH) ? A_FRAC_WIDTH : B_FRAC_WIDTH;
  localparam int SHIFT_A = F - A_FRAC_WIDTH;
  localparam int SHIFT_B = F - B_FRAC_WIDTH;
  // Exact sum width (golden add_format).
  localparam int AW = A_WIDTH + SHIFT_A;
  localparam int BW = B_WIDTH + SHIFT_B;
  localparam int SUM_WIDTH = ((AW > BW) ? AW : BW) + 1;

  logic [PARALLELISM-1:0][OUT_WIDTH-1:0] cast_data;  // combinational lane results
  logic                                  take;       // a pair moves this edge

  for (genvar i = 0; i < PARALLELISM; i++) begin : gen_lane
    logic signed [SUM_WIDTH-1:0] sum;  // exact a + b at frac F
    assign sum = (SUM_WIDTH'($signed(a[i])) <<< SHIFT_A)
               + (SUM_WIDTH'($signed(b[i])) <<< SHIFT_B);
    mh_cast_lane #(
      .IN_WIDTH      (SUM_WIDTH),
      .IN_FRAC_WIDTH (F),
      .IN_SIGNED     (1),
      .OUT_WIDTH     (OUT_WIDTH),
      .OUT_FRAC_WIDTH(OUT_FRAC_WIDTH),
      .OUT_SIGNED    (1),
      .ROUNDING      (ROUNDING),
      .OVERFLOW      (OVERFLOW)
    ) u_cast (
      .data_in (sum),
      .data_out(cast_data[i])
    );
  end

  assign take    = a_valid && b_valid && (!data_out_valid || data_out_ready);
  assign a_ready = take;
  assign b_ready = take;

  always_ff @(posedge clk) begin
    if (rst) begin
      data_out_valid <= 1'b0;
    end else if (take) begin
      data_out_valid <= 1'b1;
    end else if (data_out_ready) begin
      data_out_valid <= 1'b0;
    end
  end

  always_ff @(posedge clk) begin
    if (take) begin
      data_out <= cast_data;
    end
  end

endmodule

`resetall
