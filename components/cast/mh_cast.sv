`default_nettype none

// mh_cast: lane-wise fixed-point requantisation of a stream.
//
// Each of PARALLELISM lanes goes through mh_cast_lane (rounding and overflow
// modes of docs/components.md), then one output register stage holds
// `data_out` and `data_out_valid`.
//
// Registered output (valid and data); not a spill register: `data_in_ready`
// is combinational from `data_out_ready`
// (data_in_ready = !data_out_valid || data_out_ready).
// Latency 1 cycle, initiation interval 1.
//
// Does not: cut the ready path, or validate parameters (see mh_cast_lane).

module mh_cast #(
  parameter int IN_WIDTH       = 16,  // input lane width, bits
  parameter int IN_FRAC_WIDTH  = 8,   // input fractional bits (may be negative)
  parameter int IN_SIGNED      = 1,   // 1: input two's complement, 0: unsigned
  parameter int OUT_WIDTH      = 8,   // output lane width, bits
  parameter int OUT_FRAC_WIDTH = 4,   // output fractional bits (may be negative)
  parameter int OUT_SIGNED     = 1,   // 1: output two's complement, 0: unsigned
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

  logic [PARALLELISM-1:0][OUT_WIDTH-1:0] cast_data;  // combinational lane results

  for (genvar i = 0; i < PARALLELISM; i++) begin : gen_lane
    mh_cast_lane #(
      .IN_WIDTH      (IN_WIDTH),
      .IN_FRAC_WIDTH (IN_FRAC_WIDTH),
      .IN_SIGNED     (IN_SIGNED),
      .OUT_WIDTH     (OUT_WIDTH),
      .OUT_FRAC_WIDTH(OUT_FRAC_WIDTH),
      .OUT_SIGNED    (OUT_SIGNED),
      .ROUNDING      (ROUNDING),
      .OVERFLOW      (OVERFLOW)
    ) u_lane (
      .data_in (data_in[i]),
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
