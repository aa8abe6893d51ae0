`default_nettype none

// mh_softmax: streaming row softmax, signed fixed-point rows in, unsigned
// probabilities out, bit-exact with golden/src/softmax.rs.
//
// Rows of SIZE elements arrive on `data_in` as NB = SIZE / PARALLELISM beats
// of PARALLELISM signed IN_WIDTH-bit lanes and leave on `data_out` in the
// same order as unsigned OUT_WIDTH-bit probabilities (OUT_FRAC_WIDTH
// fractional bits). Per row, three stages joined by FIFOs:
//  1. input: each beat is stored in the x FIFO while the running row maximum
//     m is updated; the row's m enters the max FIFO with its last beat.
//  2. exp (needs the row's m): d = m - x (exact, unsigned IN_WIDTH bits),
//     t = d * SCALE_K shifted right by T_SHIFT (left if negative) to
//     T_FRAC_WIDTH fractional bits (truncation), t = i + f; i > EXP_FRAC_WIDTH
//     gives e = 0, else j = top EXP_TABLE_BITS bits of f, r = the rest (RB
//     bits), y = T[j] - floor((T[j] - T[j+1]) * r / 2^RB), e = floor(y / 2^i).
//     e (EXP_FRAC_WIDTH fractional bits) enters the e FIFO; the row sum S of
//     all e is accumulated exactly and, after the last beat, enters the
//     pipelined divider mh_softmax_recip: R = floor(2^(EF + RF) / S).
//  3. normalise (needs the row's R): p = e * R (exact), cast once by
//     mh_cast_lane to the output format with ROUNDING / OVERFLOW.
// SCALE_K = round(scale * log2(e) * 2^K_FRAC) and the table EXP_TABLE
// (2^EXP_TABLE_BITS + 1 entries of EXP_FRAC_WIDTH + 1 bits, entry j =
// round(2^(EXP_FRAC_WIDTH - j / 2^EXP_TABLE_BITS)), entry 0 in the LSBs) are
// computed by the generator with the golden model's functions; T_SHIFT =
// IN_FRAC_WIDTH + K_FRAC - T_FRAC_WIDTH.
//
// Does not: check parameters (the generator validates and derives them),
// handle SIZE % PARALLELISM != 0, or reset the datapath or FIFO memories.
// Does not pipeline across lanes: the beat's lane maximum and lane sum are
// single-cycle compare / add chains (long paths at large PARALLELISM).
//
// Timing (no stalls, NB = SIZE / PARALLELISM, RF = RECIP_FRAC_WIDTH):
// latency from a row's first data_in handshake to its first data_out beat,
// for a row that finds the module idle, is 2 * NB + RF + 12 cycles (last
// beat in: NB - 1, max FIFO 2, last beat issued to the exp pipeline NB - 1,
// exp pipeline 6, sum register 1, divider RF + 1, R FIFO 2, multiply and
// cast registers 2). II 1 on data_in: rows
// stream back to back; the FIFOs (x: NB + 4, e: NB + RF + 6 entries) hold
// the beats in flight so no stage waits in steady state.
// Registered: `data_in_ready` is the AND of two FIFO-full flags (registers);
// `data_out_valid` and `data_out` are registers. Combinational ready paths:
// none at the ports. The exp pipeline stalls as a whole when the e FIFO is
// full; the normalise pipeline when `data_out` is backpressured.

module mh_softmax #(
  parameter int IN_WIDTH         = 8,   // data_in lane width, bits (signed)
  parameter int OUT_WIDTH        = 8,   // data_out lane width, bits (unsigned)
  parameter int OUT_FRAC_WIDTH   = 7,   // data_out fractional bits
  parameter int ROUNDING         = 2,   // output rounding code 0..6 (RND)
  parameter int OVERFLOW         = 1,   // output overflow code 0..3 (SAT)
  parameter int SIZE             = 16,  // elements per row
  parameter int PARALLELISM      = 4,   // lanes per beat (divides SIZE)
  parameter int EXP_TABLE_BITS   = 8,   // log2 of the 2^-f table segments
  parameter int EXP_FRAC_WIDTH   = 16,  // fractional bits of e and table entries
  parameter int RECIP_FRAC_WIDTH = 12,  // fractional bits of the row reciprocal
  parameter int T_FRAC_WIDTH     = 12,  // fractional bits of the exponent t (> EXP_TABLE_BITS)
  parameter int T_SHIFT          = 10,  // right shift from d*SCALE_K to t (negative: left)
  parameter int K_WIDTH          = 19,  // width of SCALE_K, bits (unsigned)
  parameter logic [K_WIDTH-1:0] SCALE_K = 19'h5c552,  // scale*log2(e)*2^K_FRAC, rounded (log2 e, K_FRAC 18)
  // 2^-f table: 2^EXP_TABLE_BITS + 1 entries of EXP_FRAC_WIDTH + 1 bits, entry 0 in
  // the LSBs (flat: Icarus 11 rejects 2-D packed parameters). No usable default:
  // the generator always passes it (the other defaults are the default config).
  parameter logic [((1 << EXP_TABLE_BITS) + 1) * (EXP_FRAC_WIDTH + 1) - 1:0] EXP_TABLE = '0
) (
  input  logic                                   clk,
  input  logic                                   rst,

  input  logic [PARALLELISM-1:0][IN_WIDTH-1:0]   data_in,
  input  logic                                   data_in_valid,
  output logic                                   data_in_ready,

  output logic [PARALLELISM-1:0][OUT_WIDTH-1:0]  data_out,
  output logic                                   data_out_valid,
  input  logic                                   data_out_ready
);

  // ------------------------------------------------------------ derived sizes

  localparam int P   = PARALLELISM;
  localparam int NB  = SIZE / PARALLELISM;             // beats per row
  localparam int BW  = (NB > 1) ? $clog2(NB) : 1;      // beat counter width
  localparam int EF  = EXP_FRAC_WIDTH;
  localparam int RF  = RECIP_FRAC_WIDTH;
  localparam int TF  = T_FRAC_WIDTH;
  localparam int RB  = T_FRAC_WIDTH - EXP_TABLE_BITS;  // interpolation bits (>= 1)
  localparam int EW  = EF + 1;                         // width of e and table entries
  localparam int SW  = EF + 1 + $clog2(SIZE);          // exact row sum width
  localparam int PW  = IN_WIDTH + K_WIDTH;             // d * SCALE_K width
  localparam int SHL = (T_SHIFT < 0) ? -T_SHIFT : 0;   // left shift to t
  localparam int SHR = (T_SHIFT > 0) ? T_SHIFT : 0;    // right shift to t
  localparam int TW  = PW + SHL + TF + 1;              // t width (holds t exactly)
  localparam int IB  = $clog2(EF + 1);                 // width of i in 0..EF
  localparam int PRW = EF + RF + 1;                    // e * R width (value <= 2^(EF+RF))
  localparam int DX  = NB + 4;                         // x FIFO depth
  localparam int DM  = (DX + NB) / NB + 2;             // max FIFO depth
  localparam int DE  = NB + RF + 6;                    // e FIFO depth
  localparam int DR  = (DE + NB) / NB + 2;             // reciprocal FIFO depth
  localparam logic [BW-1:0] LAST = BW'(NB - 1);

  // ------------------------------------------------------- stage 1: input, max

  logic                                x_in_ready;   // x FIFO not full
  logic                                m_in_ready;   // max FIFO not full
  logic                                fire1;        // data_in handshake
  logic [BW-1:0]                       cnt1_q;       // beat of the row in stage 1
  logic signed [IN_WIDTH-1:0]          run_max_q;    // max of the row so far
  logic signed [IN_WIDTH-1:0]          max_next;     // including this beat

  assign data_in_ready = x_in_ready && m_in_ready;
  assign fire1         = data_in_valid && data_in_ready;

  // Running maximum through the lanes of the beat (a compare chain).
  logic [P:0][IN_WIDTH-1:0] max_chain;
  assign max_chain[0] = (cnt1_q == '0) ? data_in[0] : run_max_q;
  for (genvar l = 0; l < P; l++) begin : gen_max
    assign max_chain[l+1] = ($signed(data_in[l]) > $signed(max_chain[l]))
                            ? data_in[l] : max_chain[l];
  end
  assign max_next = $signed(max_chain[P]);

  always_ff @(posedge clk) begin
    if (rst) begin
      cnt1_q <= '0;
    end else if (fire1) begin
      cnt1_q <= (cnt1_q == LAST) ? '0 : cnt1_q + 1'b1;
    end
  end

  always_ff @(posedge clk) begin
    if (fire1) begin
      run_max_q <= max_next;
    end
  end

  logic [P-1:0][IN_WIDTH-1:0] x_out;      // x FIFO head
  logic                       x_out_valid;
  logic                       x_out_ready;
  logic [IN_WIDTH-1:0]        m_out;      // max FIFO head
  logic                       m_out_valid;
  logic                       m_out_ready;

  mh_fifo #(
    .DATA_WIDTH (P * IN_WIDTH),
    .DEPTH      (DX)
  ) u_x_fifo (
    .clk            (clk),
    .rst            (rst),
    .data_in        (data_in),
    .data_in_valid  (data_in_valid && m_in_ready),
    .data_in_ready  (x_in_ready),
    .data_out       (x_out),
    .data_out_valid (x_out_valid),
    .data_out_ready (x_out_ready)
  );

  mh_fifo #(
    .DATA_WIDTH (IN_WIDTH),
    .DEPTH      (DM)
  ) u_max_fifo (
    .clk            (clk),
    .rst            (rst),
    .data_in        (max_next),
    .data_in_valid  (data_in_valid && x_in_ready && (cnt1_q == LAST)),
    .data_in_ready  (m_in_ready),
    .data_out       (m_out),
    .data_out_valid (m_out_valid),
    .data_out_ready (m_out_ready)
  );

  // ---------------------------------------------------- stage 2: exponentials

  localparam int NS2 = 6;         // exp pipeline registers
  logic            en2;           // the exp pipeline advances
  logic            fire2;         // a beat enters the exp pipeline
  logic [BW-1:0]   cnt2_q;        // beat of the row entering the exp pipeline
  logic [NS2-1:0]  v2_q;          // stage valid bits
  logic [NS2-1:0]  last2_q;       // stage holds a row's last beat
  logic            e_in_ready;    // e FIFO not full
  logic            push_e;        // stage 6 beat enters the e FIFO

  assign en2         = !v2_q[NS2-1] || e_in_ready;
  assign fire2       = en2 && x_out_valid && m_out_valid;
  assign x_out_ready = en2 && m_out_valid;
  assign m_out_ready = en2 && x_out_valid && (cnt2_q == LAST);
  assign push_e      = v2_q[NS2-1] && e_in_ready;

  always_ff @(posedge clk) begin
    if (rst) begin
      cnt2_q  <= '0;
      v2_q    <= '0;
      last2_q <= '0;
    end else begin
      if (fire2) begin
        cnt2_q <= (cnt2_q == LAST) ? '0 : cnt2_q + 1'b1;
      end
      if (en2) begin
        v2_q    <= {v2_q[NS2-2:0], fire2};
        last2_q <= {last2_q[NS2-2:0], cnt2_q == LAST};
      end
    end
  end

  logic [P-1:0][EW-1:0] e_beat;   // stage 6: exponentials of the beat

  for (genvar l = 0; l < P; l++) begin : gen_exp_lane
    logic [IN_WIDTH-1:0]       d_q;     // stage 1: m - x
    logic [PW-1:0]             prod_q;  // stage 2: d * SCALE_K
    logic [TW-1:0]             t;       //          t (exact)
    logic [TW-TF-1:0]          t_int;   //          integer part of t
    logic                      z3_q;    // stage 3: e = 0
    logic [IB-1:0]             i3_q;    //          integer part of t (<= EF)
    logic [EXP_TABLE_BITS-1:0] j3_q;    //          table index
    logic [RB-1:0]             r3_q;    //          interpolation fraction
    logic                      z4_q;    // stage 4
    logic [IB-1:0]             i4_q;
    logic [RB-1:0]             r4_q;
    logic [EW-1:0]             tj4_q;   //          T[j]
    logic [EW-1:0]             dj4_q;   //          T[j] - T[j+1]
    logic                      z5_q;    // stage 5
    logic [IB-1:0]             i5_q;
    logic [EW-1:0]             y5_q;    //          interpolated 2^-f
    logic [EW+RB-1:0]          dr;      //          (T[j] - T[j+1]) * r
    logic [EW-1:0]             e6_q;    // stage 6: e

    if (T_SHIFT >= 0) begin : gen_shr
      assign t = TW'(prod_q >> SHR);
    end else begin : gen_shl
      assign t = TW'(prod_q) << SHL;
    end
    assign t_int = t[TW-1:TF];
    assign dr    = EW'(dj4_q) * r4_q;

    always_ff @(posedge clk) begin
      if (en2) begin
        d_q    <= IN_WIDTH'($signed({m_out[IN_WIDTH-1], m_out})
                            - $signed({x_out[l][IN_WIDTH-1], x_out[l]}));
        prod_q <= PW'(d_q) * PW'(SCALE_K);
        z3_q   <= t_int > (TW-TF)'(EF);
        i3_q   <= t_int[IB-1:0];
        j3_q   <= t[TF-1:RB];
        r3_q   <= t[RB-1:0];
        z4_q   <= z3_q;
        i4_q   <= i3_q;
        r4_q   <= r3_q;
        tj4_q  <= EXP_TABLE[32'(j3_q) * EW +: EW];
        dj4_q  <= EXP_TABLE[32'(j3_q) * EW +: EW] - EXP_TABLE[(32'(j3_q) + 1) * EW +: EW];
        z5_q   <= z4_q;
        i5_q   <= i4_q;
        y5_q   <= tj4_q - EW'(dr >> RB);
        e6_q   <= z5_q ? '0 : y5_q >> i5_q;
      end
    end
    assign e_beat[l] = e6_q;
  end

  // Row sum, exact, and the divider input.
  logic [SW-1:0] acc_q;        // sum of the row's e so far
  logic [SW-1:0] acc_d;        // including the beat entering the e FIFO
  logic          s_valid_q;    // s_q holds a finished row sum
  logic [SW-1:0] s_q;          // finished row sum

  always_comb begin
    acc_d = acc_q;
    for (int l = 0; l < P; l++) begin
      acc_d = acc_d + SW'(e_beat[l]);
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      acc_q     <= '0;
      s_valid_q <= 1'b0;
    end else begin
      s_valid_q <= push_e && last2_q[NS2-1];
      if (push_e) begin
        acc_q <= last2_q[NS2-1] ? '0 : acc_d;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (push_e) begin
      s_q <= acc_d;
    end
  end

  logic          r_valid;     // divider output valid
  logic [RF:0]   r_val;       // divider output

  mh_softmax_recip #(
    .SUM_WIDTH        (SW),
    .EXP_FRAC_WIDTH   (EF),
    .RECIP_FRAC_WIDTH (RF)
  ) u_recip (
    .clk       (clk),
    .rst       (rst),
    .in_valid  (s_valid_q),
    .sum       (s_q),
    .out_valid (r_valid),
    .recip     (r_val)
  );

  logic [P-1:0][EW-1:0] e_out;      // e FIFO head
  logic                 e_out_valid;
  logic                 e_out_ready;
  logic [RF:0]          r_out;      // reciprocal FIFO head
  logic                 r_out_valid;
  logic                 r_out_ready;
  logic                 unused_r_in_ready;  // never low: DR covers every row in flight

  mh_fifo #(
    .DATA_WIDTH (P * EW),
    .DEPTH      (DE)
  ) u_e_fifo (
    .clk            (clk),
    .rst            (rst),
    .data_in        (e_beat),
    .data_in_valid  (v2_q[NS2-1]),
    .data_in_ready  (e_in_ready),
    .data_out       (e_out),
    .data_out_valid (e_out_valid),
    .data_out_ready (e_out_ready)
  );

  mh_fifo #(
    .DATA_WIDTH (RF + 1),
    .DEPTH      (DR)
  ) u_recip_fifo (
    .clk            (clk),
    .rst            (rst),
    .data_in        (r_val),
    .data_in_valid  (r_valid),
    .data_in_ready  (unused_r_in_ready),
    .data_out       (r_out),
    .data_out_valid (r_out_valid),
    .data_out_ready (r_out_ready)
  );

  // ---------------------------------------------------- stage 3: normalise

  logic          en3;         // the normalise pipeline advances
  logic          fire3;       // a beat enters it
  logic [BW-1:0] cnt3_q;      // beat of the row entering it
  logic          va_q;        // product stage valid
  logic          vb_q;        // output stage valid

  assign en3         = !vb_q || data_out_ready;
  assign fire3       = en3 && e_out_valid && r_out_valid;
  assign e_out_ready = en3 && r_out_valid;
  assign r_out_ready = en3 && e_out_valid && (cnt3_q == LAST);

  always_ff @(posedge clk) begin
    if (rst) begin
      cnt3_q <= '0;
      va_q   <= 1'b0;
      vb_q   <= 1'b0;
    end else begin
      if (fire3) begin
        cnt3_q <= (cnt3_q == LAST) ? '0 : cnt3_q + 1'b1;
      end
      if (en3) begin
        va_q <= fire3;
        vb_q <= va_q;
      end
    end
  end

  for (genvar l = 0; l < P; l++) begin : gen_norm_lane
    logic [PRW-1:0]       pa_q;   // e * R, exact
    logic [OUT_WIDTH-1:0] p;      // cast
    logic [OUT_WIDTH-1:0] pb_q;   // output register
    logic [EW+RF:0]       prod;   // full product

    assign prod = (EW + RF + 1)'(e_out[l]) * (EW + RF + 1)'(r_out);

    mh_cast_lane #(
      .IN_WIDTH       (PRW),
      .IN_FRAC_WIDTH  (EF + RF),
      .IN_SIGNED      (0),
      .OUT_WIDTH      (OUT_WIDTH),
      .OUT_FRAC_WIDTH (OUT_FRAC_WIDTH),
      .OUT_SIGNED     (0),
      .ROUNDING       (ROUNDING),
      .OVERFLOW       (OVERFLOW)
    ) u_cast (
      .data_in  (pa_q),
      .data_out (p)
    );

    // The product is at most 2^(EF+RF): its top bit is always 0.
    logic unused_top;
    assign unused_top = prod[EW+RF];

    always_ff @(posedge clk) begin
      if (en3) begin
        pa_q <= prod[PRW-1:0];
        pb_q <= p;
      end
    end
    assign data_out[l] = pb_q;
  end

  assign data_out_valid = vb_q;

endmodule

`resetall
