`default_nettype none

// mh_cast_lane: one lane of fixed-point requantisation, purely combinational.
//
// Reinterprets `data_in` (IN_WIDTH bits, IN_FRAC_WIDTH fractional, signed or
// unsigned) in the output format (OUT_WIDTH bits, OUT_FRAC_WIDTH fractional,
// signed or unsigned), exactly as the fixed-point modes table of
// docs/components.md says. With s = IN_FRAC_WIDTH - OUT_FRAC_WIDTH:
//   s <= 0: y = x * 2^-s (exact left shift);
//   s >  0: y = floor(x / 2^s), incremented by the ROUNDING rule
//           (0 TRN, 1 TRN_ZERO, 2 RND, 3 RND_ZERO, 4 RND_MIN_INF, 5 RND_INF,
//            6 RND_CONV);
// then y is fitted to the output range by the OVERFLOW rule
//   (0 WRAP = low OUT_WIDTH bits of y, 1 SAT, 2 SAT_ZERO, 3 SAT_SYM).
// All intermediates are wide enough to hold y exactly, so overflow detection
// is exact for every shift, including shifts far outside the input width.
//
// Does not: register anything, handshake, or check parameter ranges (the
// generator validates them: IN_WIDTH 1..128, OUT_WIDTH 1..64, frac widths
// -64..128, mode codes as in the table).
//
// Combinational: latency 0, no clock, no state.

module mh_cast_lane #(
  parameter int IN_WIDTH       = 16,  // input width, bits
  parameter int IN_FRAC_WIDTH  = 8,   // input fractional bits (may be negative)
  parameter int IN_SIGNED      = 1,   // 1: input two's complement, 0: unsigned
  parameter int OUT_WIDTH      = 8,   // output width, bits
  parameter int OUT_FRAC_WIDTH = 4,   // output fractional bits (may be negative)
  parameter int OUT_SIGNED     = 1,   // 1: output two's complement, 0: unsigned
  parameter int ROUNDING       = 2,   // rounding code 0..6 (docs/components.md)
  parameter int OVERFLOW       = 1    // overflow code 0..3 (docs/components.md)
) (
  input  logic [IN_WIDTH-1:0]  data_in,
  output logic [OUT_WIDTH-1:0] data_out
);

  // Right shift (s > 0) or left shift (s < 0) between the two formats.
  localparam int SHIFT = IN_FRAC_WIDTH - OUT_FRAC_WIDTH;
  // Input as a signed number: one extra bit when the input is unsigned.
  localparam int XW = IN_WIDTH + ((IN_SIGNED != 0) ? 0 : 1);
  // Effective right shift: any s > IN_WIDTH gives the same result as
  // s = IN_WIDTH + 1 (q is 0 or -1, and r < h unless x < 0).
  localparam int SR = (SHIFT <= 0) ? 0 : ((SHIFT > IN_WIDTH + 1) ? IN_WIDTH + 1 : SHIFT);
  // Effective left shift: any -s >= OUT_WIDTH leaves only zero low bits and
  // overflows for every x != 0, as -s = OUT_WIDTH does.
  localparam int SL = (SHIFT >= 0) ? 0 : ((-SHIFT > OUT_WIDTH) ? OUT_WIDTH : -SHIFT);
  // Width of the rounded value y, signed; holds x, the remainder and q + 1.
  localparam int YW = (SHIFT > 0) ? (((XW > SR + 1) ? XW : SR + 1) + 1) : XW + SL;
  // Width of the overflow comparison: holds y and both output range limits.
  localparam int CW = (YW > OUT_WIDTH + 1) ? YW : OUT_WIDTH + 1;

  logic signed [XW-1:0] x;  // the input value
  logic signed [YW-1:0] y;  // the rounded value, exact

  if (IN_SIGNED != 0) begin : gen_in_signed
    assign x = $signed(data_in);
  end else begin : gen_in_unsigned
    assign x = $signed({1'b0, data_in});
  end

  if (SHIFT <= 0) begin : gen_shift_left
    assign y = YW'(x) <<< SL;
  end else begin : gen_shift_right
    logic signed [YW-1:0] xw;   // x widened
    logic signed [YW-1:0] q;    // floor(x / 2^s)
    logic                 inc;  // round q up by one
    assign xw = YW'(x);
    assign q  = xw >>> SR;
    assign y  = inc ? q + YW'(1) : q;

    if (ROUNDING == 0) begin : gen_trn
      assign inc = 1'b0;
    end else begin : gen_round
      // Half an output LSB, in input LSBs: h = 2^(s-1).
      localparam logic signed [YW-1:0] H = YW'(1) <<< (SR - 1);
      logic signed [YW-1:0] r;  // remainder x - q*2^s, 0 <= r < 2^s
      assign r = xw - (q <<< SR);
      if (ROUNDING == 1) begin : gen_trn_zero
        assign inc = xw[YW-1] && (r != '0);
      end else if (ROUNDING == 2) begin : gen_rnd
        assign inc = r >= H;
      end else if (ROUNDING == 3) begin : gen_rnd_zero
        assign inc = (r > H) || ((r == H) && xw[YW-1]);
      end else if (ROUNDING == 4) begin : gen_rnd_min_inf
        assign inc = r > H;
      end else if (ROUNDING == 5) begin : gen_rnd_inf
        assign inc = (r > H) || ((r == H) && !xw[YW-1]);
      end else begin : gen_rnd_conv
        assign inc = (r > H) || ((r == H) && q[0]);
      end
    end
  end

  if (OVERFLOW == 0) begin : gen_wrap
    if (YW > OUT_WIDTH) begin : gen_keep_low
      // WRAP keeps the low OUT_WIDTH bits; the bits above are don't-care
      // (sunk into an `unused_` net, Verilator's convention for them).
      logic unused_high;
      assign unused_high = ^y[YW-1:OUT_WIDTH];
      assign data_out    = y[OUT_WIDTH-1:0];
    end else begin : gen_sign_extend
      assign data_out = OUT_WIDTH'(y);
    end
  end else begin : gen_saturate
    // Output range [MINV, MAXV]; SAT_SYM on a signed output uses [-MAXV, MAXV].
    localparam logic signed [CW-1:0] MAXV = (OUT_SIGNED != 0)
        ? (CW'(1) <<< (OUT_WIDTH - 1)) - CW'(1)
        : (CW'(1) <<< OUT_WIDTH) - CW'(1);
    localparam logic signed [CW-1:0] MINV = (OUT_SIGNED == 0) ? CW'(0)
        : (OVERFLOW == 3) ? -MAXV
        : -(CW'(1) <<< (OUT_WIDTH - 1));
    logic signed [CW-1:0] yc;  // y widened to the comparison width
    assign yc = CW'(y);
    if (OVERFLOW == 2) begin : gen_sat_zero
      assign data_out = ((yc > MAXV) || (yc < MINV)) ? '0 : OUT_WIDTH'(yc);
    end else begin : gen_sat
      assign data_out = (yc > MAXV) ? OUT_WIDTH'(MAXV)
                      : (yc < MINV) ? OUT_WIDTH'(MINV)
                      : OUT_WIDTH'(yc);
    end
  end

endmodule

`resetall
