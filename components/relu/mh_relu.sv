`default_nettype none

// mh_relu: lane-wise ReLU, max(x, 0), of a signed stream, then one cast.
//
// Each of PARALLELISM signed lanes is clamped at zero (exact in the input
// format) and cast to the output format by mh_cast_lane with ROUNDING and
// OVERFLOW (docs/components.md); with equal formats the cast is the identity.
// One output register stage holds `data_out` and `data_out_valid`.
//
// Registered output (valid and data); not a spill register: `data_in_ready`
// is combinational from `data_out_ready`
// (data_in_ready = !data_out_valid || data_out_ready).
// Latency 1 cycle, initiation interval 1. Reset clears the valid bit only.
//
// Does not: accept unsigned inputs (the generator rejects them), cut the
// ready path, or validate parameters.

module mh_relu #(
  parameter int IN_WIDTH       = 16,  // input lane width, bits (signed)
  parameter int IN_FRAC_WIDTH  = 8,   // input fractional bits (may be negative)
  parameter int OUT_WIDTH      = 16,  // output lane width, bits (signed)
  parameter int OUT_FRAC_WIDTH = 8,   // output fractional bits (may be negative)
  parameter int ROUNDING       = 2,   // rounding code 0..6 (docs/components.md)
  parameter int OVERFLOW       = 1,   // overflow code 0..3 (docs/components.md)
  parameter int PARALLELISM    = 1    // lanes per beat
) (
  input  logic                                  clk,
  input  logic                                  rst,

  input  logic [PARALLELISM-1:0][IN_WIDTH-1:0]  data_in,
  input  logic                                  data_in_valid,
  output logic                                  data_in_ready,

  output logic [PARALLELISM-1:0][OUT_WIDTH-1:0] data_out,
  output logic                                  data_out_valid,
  input  logic                                  data_out_ready
);

  logic [PARALLELISM-1:0][IN_WIDTH-1:0]  clamped;    // max(x, 0) per lane
  logic [PARALLELISM-1:0][OUT_WIDTH-1:0] cast_data;  // combinational lane results

  for (genvar i = 0; i < PARALLELISM; i++) begin : gen_lane
    assign clamped[i] = data_in[i][IN_WIDTH-1] ? '0 : data_in[i];
    mh_cast_lane #(
      .IN_WIDTH      (IN_WIDTH),
      .IN_FRAC_WIDTH (IN_FRAC_WIDTH),
      .IN_SIGNED     (1),
      .OUT_WIDTH     (OUT_WIDTH),
      .OUT_FRAC_WIDTH(OUT_FRAC_WIDTH),
      .OUT_SIGNED    (1),
      .ROUNDING      (ROUNDING),
      .OVERFLOW      (OVERFLOW)
    ) u_cast (
      .data_in (clamped[i]),
      .data_out(cast_data[i])
    );
  end

  assign data_in_ready = !data_out_valid || data_out_ready;

  always_ff @(posedge clk) begin
    if (data_in_ready) begin
      data_out_valid <= data_in_valid;
    end
    if (rst) begin
      data_out_valid <= 1'b0;
    end
  end

  always_ff @(posedge clk) begin
    if (data_in_valid && data_in_ready) begin
      data_out <= cast_data;
    end
  end

endmodule

`resetall
