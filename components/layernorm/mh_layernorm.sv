`default_nettype none

// mh_layernorm: layer normalisation over rows of SIZE elements, streamed,
// fixed point: y = gamma * (x - mean) / sqrt(var + eps) + beta.
//
// X is [rows, SIZE] on `data_in` (PARALLELISM lanes a beat, row-major), Y
// the same shape on `data_out`; gamma and beta are [SIZE]. All data signed.
// Integer algorithm (bit-exact with golden/src/layernorm.rs), H = SIZE:
//   S = sum x, Q = sum x^2, V = H*Q - S^2 (= H^2 var 2^(2 IN_FRAC), exact,
//   one pass; no division by H anywhere);
//   D = V << VAR_SHIFT + EPS_MANT*H^2 << EPS_SHIFT (= H^2 (var+eps) 2^G);
//   range reduction: e = leading one of D, e2 = e - e[0],
//   u = floor(D * 2^(R - e2)) in [2^R, 2^(R+2)); table index
//   {e[0], TABLE_BITS bits of D below the leading one}; NR_ITERS
//   Newton-Raphson steps t = y*y >> R, w = u*t >> R,
//   y = y*(3*2^R - w) >> (R+1) (R = RSQRT_FRAC_WIDTH);
//   per element: N = H*x - S, z = N*y, xh = floor(z / 2^(e2/2 + SH0))
//   (NORM_FRAC_WIDTH fractional bits, wrapped to XHW bits),
//   acc = gamma*xh << PROD_SHIFT + beta << BETA_SHIFT, cast once
//   (mh_cast_lane) to OUT_WIDTH / OUT_FRAC_WIDTH with ROUNDING / OVERFLOW.
//
// gamma/beta: AFFINE_FROM_ROM = 1 reads word j (elements j*P .. j*P+P-1,
// lane 0 least significant) of $readmemh files GAMMA_MEM_FILE and
// BETA_MEM_FILE for output beat j of every row. AFFINE_FROM_ROM = 0 takes
// beat j of the `gamma` and `beta` streams with output beat j (each stream
// resends its SIZE/P beats for every row); both enter through an mh_fifo.
//
// Microarchitecture: input beats are written into a circular row buffer of
// ROWS * KB words (KB = SIZE / PARALLELISM) and, in the same cycle,
// registered for the statistics: one accumulator stage (P squarers), S^2
// and H*Q (1), D (1), leading-one normalisation (1), table (1), 3 stages
// per Newton-Raphson step, then the row's (S, y, e2) enter a small stats
// FIFO. A row is issued beat by beat from the buffer once its stats are in
// that FIFO, into a 6-stage pipeline (buffer/ROM read, N, z, xh, acc, cast)
// that stalls as a whole on `data_out` backpressure. ROWS is a count
// >= 2 that lets rows stream back to back (a generalised ping-pong:
// the buffer must hold a row plus the words arriving while the stats of the
// previous row are computed). With long rows ROWS = 2, a ping-pong buffer.
//
// Does not: check that PARALLELISM divides SIZE or that widths stay within
// 126 bits (the generator validates), accept EPS_MANT = 0, or reset the
// datapath, buffer or ROMs.
// Ports that a configuration does not use stay present: with
// AFFINE_FROM_ROM = 1 `gamma`, `gamma_valid`, `beta`, `beta_valid` are
// ignored and `gamma_ready`, `beta_ready` are 0.
//
// Timing: II 1 on data_in and data_out beats, rows back to back.
// Latency from the first data_in handshake of a row that finds the module
// idle to its first data_out handshake (no stalls): KB + 12 + 3*NR_ITERS.
// Combinational ready paths: none. `data_in_ready` is a function of
// registers only; `data_out_valid` and `data_out` are registers;
// `gamma_ready` / `beta_ready` come from mh_fifo registers.

module mh_layernorm #(
  parameter int IN_WIDTH          = 16,    // data_in lane width, bits
  parameter int IN_FRAC_WIDTH     = 8,     // data_in fractional bits
  parameter int GAMMA_WIDTH       = 16,    // gamma width, bits
  parameter int GAMMA_FRAC_WIDTH  = 12,    // gamma fractional bits
  parameter int BETA_WIDTH        = 16,    // beta width, bits
  parameter int BETA_FRAC_WIDTH   = 12,    // beta fractional bits
  parameter int OUT_WIDTH         = 16,    // data_out lane width, bits
  parameter int OUT_FRAC_WIDTH    = 8,     // data_out fractional bits
  parameter int ROUNDING          = 2,     // output rounding code 0..6 (RND)
  parameter int OVERFLOW          = 1,     // output overflow code 0..3 (SAT)
  parameter int SIZE              = 16,    // elements per row (H)
  parameter int PARALLELISM       = 4,     // lanes per beat (divides SIZE)
  parameter int EPS_MANT          = 36029, // eps = EPS_MANT * 2^-EPS_FRAC_WIDTH (>= 1)
  parameter int EPS_FRAC_WIDTH    = 55,    // eps fractional bits
  parameter int RSQRT_FRAC_WIDTH  = 20,    // R: fractional bits of 1/sqrt
  parameter int TABLE_BITS        = 4,     // table of 2^(TABLE_BITS+1) entries
  parameter int NR_ITERS          = 2,     // Newton-Raphson iterations
  parameter int NORM_FRAC_WIDTH   = 16,    // fractional bits of x-hat
  parameter int AFFINE_FROM_ROM   = 0,     // 1: gamma/beta from ROM files, 0: streams
  // Initial guesses, 2^(TABLE_BITS+1) entries of RSQRT_FRAC_WIDTH+1 bits, entry 0 in the LSBs.
  parameter logic [(2<<TABLE_BITS)*(RSQRT_FRAC_WIDTH+1)-1:0] RSQRT_TABLE = '0,
  parameter     GAMMA_MEM_FILE    = "",    // gamma ROM $readmemh file (path string)
  parameter     BETA_MEM_FILE     = ""     // beta ROM $readmemh file (path string)
) (
  input  logic                                      clk,
  input  logic                                      rst,

  input  logic [PARALLELISM-1:0][IN_WIDTH-1:0]      data_in,
  input  logic                                      data_in_valid,
  output logic                                      data_in_ready,

  input  logic [PARALLELISM-1:0][GAMMA_WIDTH-1:0]   gamma,
  input  logic                                      gamma_valid,
  output logic                                      gamma_ready,

  input  logic [PARALLELISM-1:0][BETA_WIDTH-1:0]    beta,
  input  logic                                      beta_valid,
  output logic                                      beta_ready,

  output logic [PARALLELISM-1:0][OUT_WIDTH-1:0]     data_out,
  output logic                                      data_out_valid,
  input  logic                                      data_out_ready
);

  // ------------------------------------------------------------ derived sizes

  localparam int P   = PARALLELISM;
  localparam int R   = RSQRT_FRAC_WIDTH;
  localparam int TB  = TABLE_BITS;
  localparam int KB  = SIZE / PARALLELISM;               // beats per row
  localparam int KW  = (KB > 1) ? $clog2(KB) : 1;         // beat counter width
  localparam int C   = (SIZE > 1) ? $clog2(SIZE) : 0;     // clog2(H)
  // Widths: the formulas of golden::layernorm::widths.
  localparam int SW  = IN_WIDTH + C;                      // S, H*x (signed)
  localparam int QW  = 2 * IN_WIDTH - 1 + C;              // Q (unsigned)
  localparam int G0  = (2 * IN_FRAC_WIDTH > EPS_FRAC_WIDTH) ? 2 * IN_FRAC_WIDTH : EPS_FRAC_WIDTH;
  localparam int G1  = (G0 > 0) ? G0 : 0;
  localparam int G   = G1 + (G1 % 2);                     // even common frac of D
  localparam int VAR_SHIFT = G - 2 * IN_FRAC_WIDTH;
  localparam int EPS_SHIFT = G - EPS_FRAC_WIDTH;
  localparam int EB  = $clog2(EPS_MANT + 1);              // bits of EPS_MANT
  localparam int DV  = 2 * IN_WIDTH - 1 + 2 * C + VAR_SHIFT;
  localparam int DE  = EB + 2 * C + EPS_SHIFT;
  localparam int DW  = ((DV > DE) ? DV : DE) + 1;         // D (unsigned)
  localparam int EW  = (DW > 1) ? $clog2(DW) : 1;         // leading-one index width
  localparam int NW  = SW + 1;                            // N = H*x - S (signed)
  localparam int YW  = R + 1;                             // y (unsigned)
  localparam int UW  = R + 2;                             // u (unsigned)
  localparam int ZW  = NW + R + 2;                        // z = N*y (signed)
  localparam int SH0 = R - G / 2 + IN_FRAC_WIDTH - NORM_FRAC_WIDTH;
  localparam int CSH = (SH0 < 0) ? -SH0 : 0;              // pre-shift of z
  localparam int XHW = 1 + ((C + 1) / 2 + 1) + NORM_FRAC_WIDTH; // x-hat (signed)
  localparam int PF  = NORM_FRAC_WIDTH + GAMMA_FRAC_WIDTH;
  localparam int F2  = (PF > BETA_FRAC_WIDTH) ? PF : BETA_FRAC_WIDTH;
  localparam int PROD_SHIFT = F2 - PF;
  localparam int BETA_SHIFT = F2 - BETA_FRAC_WIDTH;
  localparam int AW0 = GAMMA_WIDTH + XHW + PROD_SHIFT;
  localparam int AW1 = BETA_WIDTH + BETA_SHIFT;
  localparam int AW  = ((AW0 > AW1) ? AW0 : AW1) + 1;     // gamma*xh + beta (signed)
  // eps * H^2 * 2^G as an integer.
  localparam logic [DW-1:0] EPS_D = (DW'(EPS_MANT) * DW'(SIZE) * DW'(SIZE)) << EPS_SHIFT;

  // Stats pipeline after the accumulator stage: 1 = S^2 / H*Q, 2 = D,
  // 3 = normalisation, 4 = table, then 3 per Newton-Raphson step; the last
  // stage is pushed into the stats FIFO.
  localparam int LS = 4 + 3 * NR_ITERS;
  // Cycles from a row's last input beat to its first buffer read (no stalls).
  localparam int GAP = LS + 3;
  // Row buffer rows: holds a row plus the words arriving during GAP.
  localparam int ROWS0 = 1 + (GAP + 2 + KB - 1) / KB;
  localparam int ROWS  = (ROWS0 > 2) ? ROWS0 : 2;
  localparam int DEPTH = ROWS * KB;                       // buffer words
  localparam int AB    = (DEPTH > 1) ? $clog2(DEPTH) : 1; // buffer address width
  localparam int CB    = $clog2(DEPTH + 1);               // buffer count width
  localparam int SA    = (ROWS > 1) ? $clog2(ROWS) : 1;   // stats FIFO address width
  localparam int SC    = $clog2(ROWS + 1);                // stats FIFO count width

  // ---------------------------------------------------------- input row buffer

  logic [P*IN_WIDTH-1:0] buf_mem [DEPTH];
  logic [AB-1:0]         wr_ptr_q;
  logic [AB-1:0]         rd_ptr_q;
  logic [CB-1:0]         count_q;     // words stored and not yet read
  logic [KW-1:0]         wr_cnt_q;    // beat of the row being written
  logic                  wr;
  logic                  issue;       // one beat enters the output pipeline
  logic                  rd_last;     // ... the last of its row

  assign wr            = data_in_valid && data_in_ready;
  assign data_in_ready = count_q < CB'(DEPTH);

  always_ff @(posedge clk) begin
    if (wr) begin
      buf_mem[wr_ptr_q] <= data_in;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      wr_ptr_q <= '0;
      rd_ptr_q <= '0;
      count_q  <= '0;
      wr_cnt_q <= '0;
    end else begin
      if (wr) begin
        wr_ptr_q <= (wr_ptr_q == AB'(DEPTH - 1)) ? '0 : wr_ptr_q + AB'(1);
        wr_cnt_q <= (wr_cnt_q == KW'(KB - 1)) ? '0 : wr_cnt_q + KW'(1);
      end
      if (issue) begin
        rd_ptr_q <= (rd_ptr_q == AB'(DEPTH - 1)) ? '0 : rd_ptr_q + AB'(1);
      end
      count_q <= count_q + CB'(wr) - CB'(issue);
    end
  end

  // ------------------------------------------------------------- statistics

  logic [P-1:0][IN_WIDTH-1:0] in_q;     // beat registered for the sums
  logic                       in_v_q;
  logic                       in_first_q;
  logic                       in_last_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      in_v_q <= 1'b0;
    end else begin
      in_v_q <= wr;
    end
  end

  always_ff @(posedge clk) begin
    in_q       <= data_in;
    in_first_q <= wr_cnt_q == '0;
    in_last_q  <= wr_cnt_q == KW'(KB - 1);
  end

  // Stage 1: exact running sums of x and x^2.
  logic signed [SW-1:0] beat_s;
  logic [QW-1:0]        beat_q;
  logic signed [SW-1:0] acc_s_q;
  logic [QW-1:0]        acc_q_q;
  logic                 s1_v_q;

  always_comb begin
    beat_s = '0;
    beat_q = '0;
    for (int l = 0; l < P; l++) begin
      beat_s = beat_s + SW'($signed(in_q[l]));
      beat_q = beat_q + QW'($signed(QW'($signed(in_q[l]))) * $signed(QW'($signed(in_q[l]))));
    end
  end

  always_ff @(posedge clk) begin
    if (in_v_q) begin
      acc_s_q <= (in_first_q ? '0 : acc_s_q) + beat_s;
      acc_q_q <= (in_first_q ? '0 : acc_q_q) + beat_q;
    end
  end

  // Stage valid bits of the stats pipeline (stage k valid after a row's sums
  // entered stage 1 k-1 edges earlier).
  logic [LS:1] sv_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      s1_v_q <= 1'b0;
      sv_q   <= '0;
    end else begin
      s1_v_q <= in_v_q && in_last_q;
      sv_q   <= {sv_q[LS-1:1], s1_v_q};
    end
  end

  // Stage 2: S^2 and H*Q. (sv_q[1] marks stage 2 valid.)
  localparam int S2W = 2 * SW;
  localparam int VW  = 2 * IN_WIDTH + 2 * C;   // V and its operands (signed)
  logic signed [S2W-1:0] s2_ss_q;
  logic [VW-1:0]         s2_hq_q;
  logic signed [SW-1:0]  s2_s_q;

  always_ff @(posedge clk) begin
    s2_ss_q <= S2W'(acc_s_q) * S2W'(acc_s_q);
    s2_hq_q <= VW'(acc_q_q) * VW'(SIZE);
    s2_s_q  <= acc_s_q;
  end

  // Stage 3: D.
  logic [DW-1:0]        s3_d_q;
  logic signed [SW-1:0] s3_s_q;
  logic [VW-1:0]        var_raw;

  assign var_raw = s2_hq_q - VW'(s2_ss_q);

  always_ff @(posedge clk) begin
    s3_d_q <= (DW'(var_raw) << VAR_SHIFT) + EPS_D;
    s3_s_q <= s2_s_q;
  end

  // Stage 4: leading one, e2, u.
  logic [EW-1:0]        lead;
  logic [EW-1:0]        s4_e2_q;
  logic [UW-1:0]        s4_u_q;
  logic [TB:0]          s4_idx_q;
  logic signed [SW-1:0] s4_s_q;
  logic [EW-1:0]        e2;
  logic [DW+R-1:0]      dshift;
  logic [UW-1:0]        u;
  logic [TB-1:0]        idx_low;

  always_comb begin
    lead = '0;
    for (int b = 0; b < DW; b++) begin
      if (s3_d_q[b]) begin
        lead = EW'(b);
      end
    end
  end

  assign e2      = {lead[EW-1:1], 1'b0};
  assign dshift  = (DW+R)'(s3_d_q) << R;
  assign u       = UW'(dshift >> e2);
  assign idx_low = TB'(u >> (R - TB + 32'(lead[0])));

  always_ff @(posedge clk) begin
    s4_e2_q  <= e2;
    s4_u_q   <= u;
    s4_idx_q <= {lead[0], idx_low};
    s4_s_q   <= s3_s_q;
  end

  // Stage 5: table.
  logic [YW-1:0] ny_q [NR_ITERS+1];  // y after each step
  logic [UW-1:0] nu_q [NR_ITERS+1];  // u, carried along
  logic [EW-1:0] ne_q [NR_ITERS+1];  // e2, carried along
  logic [SW-1:0] ns_q [NR_ITERS+1];  // S, carried along

  always_ff @(posedge clk) begin
    ny_q[0] <= RSQRT_TABLE[32'(s4_idx_q) * YW +: YW];
    nu_q[0] <= s4_u_q;
    ne_q[0] <= s4_e2_q;
    ns_q[0] <= s4_s_q;
  end

  // Newton-Raphson steps, 3 stages each.
  for (genvar k = 0; k < NR_ITERS; k++) begin : gen_nr
    logic [YW-1:0]  y1_q, y2_q;
    logic [UW-1:0]  u1_q, u2_q;
    logic [EW-1:0]  e1_q, e2_q;
    logic [SW-1:0]  s1_q, s2_q;
    logic [R+1:0]   t1_q;        // y*y >> R
    logic [R+1:0]   w2_q;        // u*t >> R (<= 3*2^R)
    logic [2*YW-1:0] yy;
    logic [2*UW-1:0] ut;
    logic [R+1:0]   three_minus;
    logic [YW+R+1:0] ynew;

    assign yy          = (2*YW)'(ny_q[k]) * (2*YW)'(ny_q[k]);
    assign ut          = (2*UW)'(u1_q) * (2*UW)'(t1_q);
    assign three_minus = ((R+2)'(3) << R) - w2_q;
    assign ynew        = (YW+R+2)'(y2_q) * (YW+R+2)'(three_minus);

    always_ff @(posedge clk) begin
      t1_q <= (R+2)'(yy >> R);
      y1_q <= ny_q[k];
      u1_q <= nu_q[k];
      e1_q <= ne_q[k];
      s1_q <= ns_q[k];
      w2_q <= (R+2)'(ut >> R);
      y2_q <= y1_q;
      u2_q <= u1_q;
      e2_q <= e1_q;
      s2_q <= s1_q;
      ny_q[k+1] <= YW'(ynew >> (R + 1));
      nu_q[k+1] <= u2_q;
      ne_q[k+1] <= e2_q;
      ns_q[k+1] <= s2_q;
    end
  end

  // ------------------------------------------------------------- stats FIFO

  logic [YW+EW+SW-1:0] st_mem [ROWS];
  logic [SA-1:0]       st_wp_q;
  logic [SA-1:0]       st_rp_q;
  logic [SC-1:0]       st_count_q;
  logic                st_push;
  logic [YW-1:0]       st_y;
  logic [EW-1:0]       st_e2;
  logic [SW-1:0]       st_s;

  assign st_push = sv_q[LS];
  // u is not needed after the last step.
  logic unused_u;
  assign unused_u = ^nu_q[NR_ITERS];
  assign {st_y, st_e2, st_s} = st_mem[st_rp_q];

  always_ff @(posedge clk) begin
    if (st_push) begin
      st_mem[st_wp_q] <= {ny_q[NR_ITERS], ne_q[NR_ITERS], ns_q[NR_ITERS]};
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      st_wp_q    <= '0;
      st_rp_q    <= '0;
      st_count_q <= '0;
    end else begin
      if (st_push) begin
        st_wp_q <= (st_wp_q == SA'(ROWS - 1)) ? '0 : st_wp_q + SA'(1);
      end
      if (issue && rd_last) begin
        st_rp_q <= (st_rp_q == SA'(ROWS - 1)) ? '0 : st_rp_q + SA'(1);
      end
      st_count_q <= st_count_q + SC'(st_push) - SC'(issue && rd_last);
    end
  end

  // ------------------------------------------------------------------ issue

  logic [KW-1:0] rd_cnt_q;    // beat of the row being issued
  logic          en;          // output pipeline advances
  logic          affine_ok;   // gamma and beta of this beat are available
  logic [6:1]    v_q;         // output pipeline stage valid bits

  assign en      = !v_q[6] || data_out_ready;
  assign rd_last = rd_cnt_q == KW'(KB - 1);
  assign issue   = en && (st_count_q != '0) && affine_ok;

  always_ff @(posedge clk) begin
    if (rst) begin
      rd_cnt_q <= '0;
      v_q      <= '0;
    end else begin
      if (issue) begin
        rd_cnt_q <= rd_last ? '0 : rd_cnt_q + KW'(1);
      end
      if (en) begin
        v_q <= {v_q[5:1], issue};
      end
    end
  end

  // gamma / beta of the beat being issued.
  logic [P-1:0][GAMMA_WIDTH-1:0] g_word;
  logic [P-1:0][BETA_WIDTH-1:0]  b_word;

  if (AFFINE_FROM_ROM != 0) begin : gen_rom
    logic [P*GAMMA_WIDTH-1:0] g_rom [KB];
    logic [P*BETA_WIDTH-1:0]  b_rom [KB];

    initial begin
      if (GAMMA_MEM_FILE != "") begin
        $readmemh(GAMMA_MEM_FILE, g_rom, 0, KB - 1);
      end
      if (BETA_MEM_FILE != "") begin
        $readmemh(BETA_MEM_FILE, b_rom, 0, KB - 1);
      end
    end

    if (KB > 1) begin : gen_addr
      assign g_word = g_rom[rd_cnt_q];
      assign b_word = b_rom[rd_cnt_q];
    end else begin : gen_single_word
      assign g_word = g_rom[0];
      assign b_word = b_rom[0];
    end

    assign affine_ok   = 1'b1;
    assign gamma_ready = 1'b0;
    assign beta_ready  = 1'b0;
    // The gamma and beta streams are not used with ROMs.
    logic unused_streams;
    assign unused_streams = ^{gamma, gamma_valid, beta, beta_valid};
  end else begin : gen_streams
    logic g_valid;
    logic b_valid;
    logic pop;

    assign affine_ok = g_valid && b_valid;
    assign pop       = issue;

    mh_fifo #(
      .DATA_WIDTH (P * GAMMA_WIDTH),
      .DEPTH      (2)
    ) u_gamma_fifo (
      .clk            (clk),
      .rst            (rst),
      .data_in        (gamma),
      .data_in_valid  (gamma_valid),
      .data_in_ready  (gamma_ready),
      .data_out       (g_word),
      .data_out_valid (g_valid),
      .data_out_ready (pop)
    );

    mh_fifo #(
      .DATA_WIDTH (P * BETA_WIDTH),
      .DEPTH      (2)
    ) u_beta_fifo (
      .clk            (clk),
      .rst            (rst),
      .data_in        (beta),
      .data_in_valid  (beta_valid),
      .data_in_ready  (beta_ready),
      .data_out       (b_word),
      .data_out_valid (b_valid),
      .data_out_ready (pop)
    );
  end

  // ---------------------------------------------------- output pipeline (en)

  // Stage 1: buffer read, row stats, gamma/beta.
  logic [P-1:0][IN_WIDTH-1:0]    c1_x_q;
  logic [YW-1:0]                 c1_y_q;
  logic [EW-1:0]                 c1_e2_q;
  logic signed [SW-1:0]          c1_s_q;
  logic [P-1:0][GAMMA_WIDTH-1:0] c1_g_q;
  logic [P-1:0][BETA_WIDTH-1:0]  c1_b_q;

  always_ff @(posedge clk) begin
    if (en) begin
      c1_x_q  <= buf_mem[rd_ptr_q];
      c1_y_q  <= st_y;
      c1_e2_q <= st_e2;
      c1_s_q  <= $signed(st_s);
      c1_g_q  <= g_word;
      c1_b_q  <= b_word;
    end
  end

  // Per-row values carried along stages 2..4.
  logic [YW-1:0]                 c2_y_q;
  logic [EW-1:0]                 c2_e2_q, c3_e2_q;
  logic [P-1:0][GAMMA_WIDTH-1:0] c2_g_q, c3_g_q, c4_g_q;
  logic [P-1:0][BETA_WIDTH-1:0]  c2_b_q, c3_b_q, c4_b_q;

  always_ff @(posedge clk) begin
    if (en) begin
      c2_y_q  <= c1_y_q;
      c2_e2_q <= c1_e2_q;
      c3_e2_q <= c2_e2_q;
      c2_g_q  <= c1_g_q;
      c3_g_q  <= c2_g_q;
      c4_g_q  <= c3_g_q;
      c2_b_q  <= c1_b_q;
      c3_b_q  <= c2_b_q;
      c4_b_q  <= c3_b_q;
    end
  end

  // Right shift of z<<<CSH: e2/2 + SH0 + CSH >= 0.
  localparam int SAW = EW + 8;
  logic [SAW-1:0] sa;
  assign sa = SAW'(c3_e2_q >> 1) + SAW'(SH0 + CSH);

  for (genvar l = 0; l < P; l++) begin : gen_lane
    logic signed [NW-1:0]      n_q;     // stage 2
    logic signed [ZW-1:0]      z_q;     // stage 3
    logic signed [XHW-1:0]     xh_q;    // stage 4
    logic signed [AW-1:0]      acc_q;   // stage 5
    logic [OUT_WIDTH-1:0]      cast_out;
    logic signed [ZW+CSH-1:0]  zz;
    logic signed [XHW-1:0]     zs;      // x-hat, wrapped

    assign zz = (ZW+CSH)'(z_q) <<< CSH;
    assign zs = XHW'(zz >>> sa);

    always_ff @(posedge clk) begin
      if (en) begin
        n_q   <= NW'($signed(c1_x_q[l])) * NW'(SIZE) - NW'(c1_s_q);
        z_q   <= ZW'(n_q) * $signed(ZW'(c2_y_q));
        xh_q  <= zs;
        acc_q <= ((AW'($signed(c4_g_q[l])) * AW'(xh_q)) <<< PROD_SHIFT)
               + (AW'($signed(c4_b_q[l])) <<< BETA_SHIFT);
      end
    end

    mh_cast_lane #(
      .IN_WIDTH       (AW),
      .IN_FRAC_WIDTH  (F2),
      .IN_SIGNED      (1),
      .OUT_WIDTH      (OUT_WIDTH),
      .OUT_FRAC_WIDTH (OUT_FRAC_WIDTH),
      .OUT_SIGNED     (1),
      .ROUNDING       (ROUNDING),
      .OVERFLOW       (OVERFLOW)
    ) u_cast (
      .data_in  (acc_q),
      .data_out (cast_out)
    );

    always_ff @(posedge clk) begin
      if (en) begin
        data_out[l] <= cast_out;
      end
    end
  end

  assign data_out_valid = v_q[6];

endmodule

`resetall
