`default_nettype none

// mh_softmax_recip: pipelined reciprocal of a softmax row sum by restoring
// long division, one quotient bit per register stage.
//
// Computes recip = floor(2^(EXP_FRAC_WIDTH + RECIP_FRAC_WIDTH) / sum) exactly
// for an unsigned `sum` of SUM_WIDTH bits with EXP_FRAC_WIDTH fractional
// bits, which must satisfy 2^EXP_FRAC_WIDTH <= sum (the softmax row sum is
// at least 1.0: the row maximum contributes exactly 1.0). recip has
// RECIP_FRAC_WIDTH fractional bits and RECIP_FRAC_WIDTH + 1 bits (<= 1.0).
// Stage n (n = 0..RECIP_FRAC_WIDTH) decides quotient bit RECIP_FRAC_WIDTH - n
// from the partial remainder (SUM_WIDTH + 1 bits).
//
// Does not: stall (no ready; a new sum may enter every cycle), divide by 0,
// or check that sum >= 2^EXP_FRAC_WIDTH.
//
// Registered: latency RECIP_FRAC_WIDTH + 1 cycles (a sum sampled on edge t
// leaves on the output registers after edge t + RECIP_FRAC_WIDTH), II 1.
// Reset clears the valid bits only.

module mh_softmax_recip #(
  parameter int SUM_WIDTH        = 16,  // row sum width, bits (> EXP_FRAC_WIDTH)
  parameter int EXP_FRAC_WIDTH   = 12,  // row sum fractional bits
  parameter int RECIP_FRAC_WIDTH = 12   // reciprocal fractional bits (>= 1)
) (
  input  logic                        clk,
  input  logic                        rst,
  input  logic                        in_valid,
  input  logic [SUM_WIDTH-1:0]        sum,
  output logic                        out_valid,
  output logic [RECIP_FRAC_WIDTH:0]   recip
);

  // Stages, one per quotient bit.
  localparam int NS = RECIP_FRAC_WIDTH + 1;
  // Partial remainder width: holds 2 * (sum - 1).
  localparam int RW = SUM_WIDTH + 1;
  // The dividend's leading part, 2^EXP_FRAC_WIDTH.
  localparam logic [RW-1:0] ONE = RW'(1) << EXP_FRAC_WIDTH;

  logic [NS-1:0]                v_q;    // stage holds a division
  logic [NS-1:0][SUM_WIDTH-1:0] s_q;    // divisor, per stage
  logic [NS-1:0][RW-1:0]        rem_q;  // partial remainder after the stage
  logic [NS-1:0][NS-1:0]        q_q;    // quotient bits so far

  always_ff @(posedge clk) begin
    if (rst) begin
      v_q <= '0;
    end else begin
      v_q <= {v_q[NS-2:0], in_valid};
    end
  end

  for (genvar n = 0; n < NS; n++) begin : gen_stage
    logic [RW-1:0]        rem_in;  // remainder entering the stage
    logic [SUM_WIDTH-1:0] s_in;    // divisor entering the stage
    logic [NS-1:0]        q_in;    // quotient bits entering the stage
    logic                 ge;      // quotient bit of this stage
    if (n == 0) begin : gen_first
      assign rem_in = ONE;
      assign s_in   = sum;
      assign q_in   = '0;
    end else begin : gen_next
      assign rem_in = {rem_q[n-1][RW-2:0], 1'b0};
      assign s_in   = s_q[n-1];
      assign q_in   = q_q[n-1];
    end
    assign ge = rem_in >= {1'b0, s_in};
    always_ff @(posedge clk) begin
      s_q[n]   <= s_in;
      rem_q[n] <= ge ? rem_in - {1'b0, s_in} : rem_in;
      q_q[n]   <= q_in | (NS'(ge) << (NS - 1 - n));
    end
  end

  // The last stage's divisor and remainder are not needed.
  logic unused_last;
  assign unused_last = ^{s_q[NS-1], rem_q[NS-1]};

  assign out_valid = v_q[NS-1];
  assign recip     = q_q[NS-1];

endmodule

`resetall
