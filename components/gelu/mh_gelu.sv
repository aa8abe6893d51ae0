`default_nettype none

// mh_gelu: lane-wise GELU, x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))), by
// table lookup, on PARALLELISM signed lanes.
//
// The generator computes TABLE with the golden model's function
// (golden/src/gelu.rs), so RTL and model cannot disagree. Two organisations:
//
// FULL_TABLE = 1 (input widths <= 10): TABLE has 2^IN_WIDTH entries of
//   OUT_WIDTH bits; entry i is the output for the input whose bit pattern is
//   i (already rounded with ROUNDING / OVERFLOW). One register stage:
//   latency 1, II 1.
// FULL_TABLE = 0 (wider inputs): codes x < MID_LO give 0, codes x > MID_HI
//   give cast(x) (mh_cast_lane, the input cast to the output format), and the
//   middle codes interpolate linearly between ENTRIES breakpoints g_k
//   (ENTRY_WIDTH bits, ENTRY_FRAC_WIDTH fractional) spaced 2^SEG_BITS codes
//   apart from MID_LO: off = x - MID_LO, k = off >> SEG_BITS,
//   t = off mod 2^SEG_BITS, y = g_k * 2^SEG_BITS + (g_{k+1} - g_k) * t
//   (exact, fractional width ENTRY_FRAC_WIDTH + SEG_BITS), then one
//   mh_cast_lane to the output format with ROUNDING / OVERFLOW.
//   Stage 1 registers the region, g_k, g_{k+1} - g_k, t and x; stage 2
//   multiplies, adds, casts and registers the output: latency 2, II 1.
//
// Every stage advances together when the output register is empty or being
// emptied: data_in_ready = !data_out_valid || data_out_ready (combinational
// ready path data_out_ready -> data_in_ready). `data_out_valid` and
// `data_out` are registers. Reset clears the valid bits only.
//
// Does not: accept unsigned inputs, fill pipeline bubbles while the output is
// stalled, or validate TABLE against the other parameters (the generator
// derives all of them together).

module mh_gelu #(
  parameter int IN_WIDTH         = 8,     // input lane width, bits (signed)
  parameter int IN_FRAC_WIDTH    = 5,     // input fractional bits
  parameter int OUT_WIDTH        = 8,     // output lane width, bits (signed)
  parameter int OUT_FRAC_WIDTH   = 5,     // output fractional bits
  parameter int ROUNDING         = 2,     // rounding code 0..6 (docs/components.md)
  parameter int OVERFLOW         = 1,     // overflow code 0..3 (docs/components.md)
  parameter int PARALLELISM      = 1,     // lanes per beat
  parameter int FULL_TABLE       = 1,     // 1: table indexed by the input code
  parameter int ENTRIES          = 256,   // table entries
  parameter int ENTRY_WIDTH      = 8,     // bits per table entry (signed)
  parameter int ENTRY_FRAC_WIDTH = 5,     // fractional bits of segment breakpoints
  parameter int SEG_BITS         = 0,     // log2 of the segment length, input codes
  parameter int MID_LO           = 0,     // first interpolated input code
  parameter int MID_HI           = 0,     // last interpolated input code
  // ENTRIES entries of ENTRY_WIDTH bits, entry 0 in the LSBs (1-D: Icarus 11 rejects
  // 2-D packed parameters; the layout is that of [ENTRIES-1:0][ENTRY_WIDTH-1:0]).
  parameter logic [ENTRIES*ENTRY_WIDTH-1:0] TABLE = '0
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

  logic advance;  // every stage moves this edge

  assign advance       = !data_out_valid || data_out_ready;
  assign data_in_ready = advance;

  if (FULL_TABLE != 0) begin : gen_full
    always_ff @(posedge clk) begin
      if (rst) begin
        data_out_valid <= 1'b0;
      end else if (advance) begin
        data_out_valid <= data_in_valid;
      end
    end

    for (genvar i = 0; i < PARALLELISM; i++) begin : gen_lane
      always_ff @(posedge clk) begin
        if (advance && data_in_valid) begin
          data_out[i] <= TABLE[int'(data_in[i]) * ENTRY_WIDTH +: ENTRY_WIDTH];
        end
      end
    end
  end else begin : gen_segmented
    localparam int KW = $clog2(ENTRIES);                    // table index width
    localparam int TW = (SEG_BITS > 0) ? SEG_BITS : 1;      // offset-in-segment width
    localparam int YW = ENTRY_WIDTH + TW + 2;               // interpolated value width
    localparam logic signed [IN_WIDTH-1:0] LO = IN_WIDTH'(MID_LO);
    localparam logic signed [IN_WIDTH-1:0] HI = IN_WIDTH'(MID_HI);

    logic mid_valid_q;  // stage 1 holds a beat

    always_ff @(posedge clk) begin
      if (rst) begin
        mid_valid_q    <= 1'b0;
        data_out_valid <= 1'b0;
      end else if (advance) begin
        mid_valid_q    <= data_in_valid;
        data_out_valid <= mid_valid_q;
      end
    end

    for (genvar i = 0; i < PARALLELISM; i++) begin : gen_lane
      // Stage 1: region, segment lookup.
      logic signed [IN_WIDTH-1:0]  x;        // input code
      logic                        below;    // x < MID_LO: output 0
      logic                        above;    // x > MID_HI: output cast(x)
      logic        [IN_WIDTH-1:0]  off;      // x - MID_LO (exact in the middle range)
      logic        [KW-1:0]        k;        // segment index (0 outside the middle)
      logic signed [ENTRY_WIDTH-1:0] g0, g1; // breakpoints k and k+1
      logic        [TW-1:0]        t;        // offset within the segment

      assign x     = $signed(data_in[i]);
      assign below = x < LO;
      assign above = x > HI;
      assign off   = IN_WIDTH'(x - LO);
      assign k     = (below || above) ? '0 : KW'(off >> SEG_BITS);
      assign g0    = $signed(TABLE[int'(k) * ENTRY_WIDTH +: ENTRY_WIDTH]);
      assign g1    = $signed(TABLE[(int'(k) + 1) * ENTRY_WIDTH +: ENTRY_WIDTH]);
      if (SEG_BITS > 0) begin : gen_t
        assign t = TW'(off);
      end else begin : gen_no_t
        assign t = '0;
      end

      logic                          below_q, above_q;
      logic signed [IN_WIDTH-1:0]    x_q;
      logic signed [ENTRY_WIDTH-1:0] g0_q;
      logic signed [ENTRY_WIDTH:0]   d_q;    // g_{k+1} - g_k
      logic        [TW-1:0]          t_q;

      always_ff @(posedge clk) begin
        if (advance && data_in_valid) begin
          below_q <= below;
          above_q <= above;
          x_q     <= x;
          g0_q    <= g0;
          d_q     <= (ENTRY_WIDTH + 1)'(g1) - (ENTRY_WIDTH + 1)'(g0);
          t_q     <= t;
        end
      end

      // Stage 2: interpolate, cast, select.
      logic signed [YW-1:0]        y;        // exact interpolated value
      logic        [OUT_WIDTH-1:0] y_cast;   // y in the output format
      logic        [OUT_WIDTH-1:0] x_cast;   // x in the output format

      assign y = (YW'(g0_q) <<< SEG_BITS) + YW'(d_q) * YW'($signed({1'b0, t_q}));

      mh_cast_lane #(
        .IN_WIDTH      (YW),
        .IN_FRAC_WIDTH (ENTRY_FRAC_WIDTH + SEG_BITS),
        .IN_SIGNED     (1),
        .OUT_WIDTH     (OUT_WIDTH),
        .OUT_FRAC_WIDTH(OUT_FRAC_WIDTH),
        .OUT_SIGNED    (1),
        .ROUNDING      (ROUNDING),
        .OVERFLOW      (OVERFLOW)
      ) u_cast_y (
        .data_in (y),
        .data_out(y_cast)
      );

      mh_cast_lane #(
        .IN_WIDTH      (IN_WIDTH),
        .IN_FRAC_WIDTH (IN_FRAC_WIDTH),
        .IN_SIGNED     (1),
        .OUT_WIDTH     (OUT_WIDTH),
        .OUT_FRAC_WIDTH(OUT_FRAC_WIDTH),
        .OUT_SIGNED    (1),
        .ROUNDING      (ROUNDING),
        .OVERFLOW      (OVERFLOW)
      ) u_cast_x (
        .data_in (x_q),
        .data_out(x_cast)
      );

      always_ff @(posedge clk) begin
        if (advance && mid_valid_q) begin
          data_out[i] <= below_q ? '0 : (above_q ? x_cast : y_cast);
        end
      end
    end
  end

endmodule

`resetall
