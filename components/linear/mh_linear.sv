`default_nettype none

// mh_linear: fully connected layer Y = X * W^T + b, streamed, fixed point.
//
// X is [rows, IN_SIZE] on `data_in` (IN_PARALLELISM lanes a beat, row-major),
// W is [OUT_SIZE, IN_SIZE], b is [OUT_SIZE], Y is [rows, OUT_SIZE] on
// `data_out` (OUT_PARALLELISM lanes a beat). All data signed. Products are
// exact (IN_WIDTH + WEIGHT_WIDTH bits), summed exactly over IN_SIZE, aligned
// to the common frac F = max(IN_FRAC_WIDTH + WEIGHT_FRAC_WIDTH,
// BIAS_FRAC_WIDTH if HAS_BIAS) by exact left shifts, the bias added, and the
// ACC_WIDTH-bit sum cast once (mh_cast_lane) to OUT_WIDTH / OUT_FRAC_WIDTH
// with ROUNDING / OVERFLOW (codes of docs/components.md).
//
// Weight scales (WEIGHT_GRANULARITY): 0 = one format for the whole matrix;
// 1 = per output channel, 2 = MX blocks of WEIGHT_BLOCK consecutive inputs of
// one output row. With 1 or 2 every group (o, g) (g = i / SB, SB = IN_SIZE for
// 1, WEIGHT_BLOCK for 2) has an unsigned WEIGHT_SHIFT_WIDTH-bit shift s, and
// W[o][i] is worth raw * 2^(s - WEIGHT_FRAC_WIDTH): WEIGHT_FRAC_WIDTH is the
// finest group's frac. Each block sum of the adder tree lies in one group and
// is shifted left by s (exact) before it is accumulated, so each group sums at
// its own scale and nothing rounds before the one cast; the accumulator is
// 2^WEIGHT_SHIFT_WIDTH - 1 bits wider. The shifts always come from a ROM
// (SHIFT_MEM_FILE, also when the weights are streamed): word j*NB + g
// (NB = IN_SIZE / SB groups per row) holds the shifts of output lanes
// o = 0..OUT_PARALLELISM-1 of output block j and group g, lane 0 in the least
// significant bits, OUT_PARALLELISM * WEIGHT_SHIFT_WIDTH bits a word; it is
// read with the weight block, SB / IN_PARALLELISM consecutive blocks a word.
//
// Order of work for one row, one weight block per cycle: for each output
// block j in 0..JB-1, for each input block k in 0..KB-1 (KB = IN_SIZE /
// IN_PARALLELISM, JB = OUT_SIZE / OUT_PARALLELISM) the block
// W[j*Po + o][k*Pi + i] in lane o*Pi + i. WEIGHTS_FROM_ROM = 1: that block is
// word j*KB + k of the weight ROM (`$readmemh` WEIGHT_MEM_FILE) and bias word j
// of the bias ROM (BIAS_MEM_FILE). WEIGHTS_FROM_ROM = 0: the `weight` stream
// sends the same sequence again for every row and the `bias` stream sends
// b[j*Po +: Po] once per output block per row. ROM files: one word per line,
// hex, most significant digit first, no address markers; KB * JB words of
// OUT_PARALLELISM * IN_PARALLELISM * WEIGHT_WIDTH bits, JB words of
// OUT_PARALLELISM * BIAS_WIDTH bits. A relative path resolves against the
// simulator's or synthesis tool's working directory; an empty name leaves
// the ROM unloaded (for lint only).
//
// Microarchitecture: a ping-pong row buffer (2 x KB words) takes the next
// row while the current one is computed; computation of a row may start as
// soon as its first beat is stored. Issue logic sends one weight block a
// cycle into a non-stalling pipeline: row buffer / weight ROM read or weight
// beat register (1), OUT_PARALLELISM x IN_PARALLELISM multipliers (1), one
// adder tree per output lane (clog2(IN_PARALLELISM) register levels,
// mh_pipelined_adder_tree), accumulator over the KB blocks (1), cast register
// (1), then an output FIFO (mh_fifo, DEPTH = OUT_FIFO_DEPTH). The last block
// of an output beat issues only while a credit says a FIFO entry is free
// for it, so the pipeline never stops: backpressure on `data_out` stops
// issue, never a pipeline stage, and no ready path runs through the pipeline.
// Credits count only the FIFO's DEPTH memory entries (not its output
// register), a safe bound for any FIFO that holds at least DEPTH beats.
// With HAS_BIAS and the bias stream, bias beats wait in a small mh_fifo; the
// first block of an output beat issues only when a stored bias beat is not
// yet claimed by an earlier one, and pops it when it reaches the accumulator.
// With the bias ROM, word j is read into a register the cycle before block
// (j, 0) reaches the accumulator.
//
// Does not: reorder rows, check that sizes divide (the generator validates
// IN_SIZE % IN_PARALLELISM == 0, OUT_SIZE % OUT_PARALLELISM == 0, and for MX
// IN_SIZE % WEIGHT_BLOCK == 0 and WEIGHT_BLOCK % IN_PARALLELISM == 0), round
// anywhere but the final cast, or reset the datapath, buffer or ROMs.
// Ports that a configuration does not use stay present: with
// WEIGHTS_FROM_ROM = 1 `weight`, `weight_valid`, `bias`, `bias_valid` are
// ignored and `weight_ready`, `bias_ready` are 0; with HAS_BIAS = 0 `bias`
// and `bias_valid` are ignored and `bias_ready` is 0.
//
// Timing: II 1 on weight blocks; a row every KB * JB cycles when fed and not
// backpressured, rows back to back without a bubble. Latency from the
// handshake of a row's first data_in beat to its first data_out beat, for a
// row that finds the module idle (input fed every cycle, weights available,
// no backpressure): KB + clog2(IN_PARALLELISM) + 6 cycles (block (0, KB-1)
// issues KB cycles after that handshake, 4 + clog2(IN_PARALLELISM) more to
// the FIFO input, 2 through mh_fifo). The second output beat of a row needs
// the whole row stored. Buffering: up to 2 input rows and OUT_FIFO_DEPTH
// output beats; with `data_out` blocked, `data_in_ready` falls once both
// row banks are full.
// Combinational ready paths: none. `data_in_ready`, `weight_ready` and
// `bias_ready` are functions of registers only (not of any valid or of
// `data_out_ready`); `data_out_valid` and `data_out` come from the FIFO's
// registers.

module mh_linear #(
  parameter int IN_WIDTH          = 8,   // data_in lane width, bits
  parameter int IN_FRAC_WIDTH     = 4,   // data_in fractional bits
  parameter int WEIGHT_WIDTH      = 8,   // weight lane width, bits
  parameter int WEIGHT_FRAC_WIDTH = 4,   // weight fractional bits
  parameter int HAS_BIAS          = 1,   // 1: add a bias, 0: no bias
  parameter int BIAS_WIDTH        = 8,   // bias lane width, bits
  parameter int BIAS_FRAC_WIDTH   = 4,   // bias fractional bits
  parameter int OUT_WIDTH         = 8,   // data_out lane width, bits
  parameter int OUT_FRAC_WIDTH    = 4,   // data_out fractional bits
  parameter int ROUNDING          = 2,   // output rounding code 0..6 (RND)
  parameter int OVERFLOW          = 1,   // output overflow code 0..3 (SAT)
  parameter int IN_SIZE           = 16,  // input features per row (elements)
  parameter int OUT_SIZE          = 8,   // output features per row (elements)
  parameter int IN_PARALLELISM    = 4,   // data_in lanes (divides IN_SIZE)
  parameter int OUT_PARALLELISM   = 2,   // data_out lanes (divides OUT_SIZE)
  parameter int WEIGHTS_FROM_ROM  = 0,   // 1: weights/bias from ROM files, 0: streams
  parameter int WEIGHT_GRANULARITY = 0,  // weight scales: 0 per tensor, 1 per channel, 2 MX
  parameter int WEIGHT_BLOCK      = 32,  // inputs sharing one shift (granularity 2), elements
  parameter int WEIGHT_SHIFT_WIDTH = 4,  // bits of one shift code (granularity 1, 2)
  parameter     WEIGHT_MEM_FILE   = "",  // weight ROM $readmemh file (path string)
  parameter     BIAS_MEM_FILE     = "",  // bias ROM $readmemh file (path string)
  parameter     SHIFT_MEM_FILE    = ""   // shift ROM $readmemh file (path string)
) (
  input  logic                                                     clk,
  input  logic                                                     rst,

  input  logic [IN_PARALLELISM-1:0][IN_WIDTH-1:0]                  data_in,
  input  logic                                                     data_in_valid,
  output logic                                                     data_in_ready,

  input  logic [OUT_PARALLELISM*IN_PARALLELISM-1:0][WEIGHT_WIDTH-1:0] weight,
  input  logic                                                     weight_valid,
  output logic                                                     weight_ready,

  input  logic [OUT_PARALLELISM-1:0][BIAS_WIDTH-1:0]               bias,
  input  logic                                                     bias_valid,
  output logic                                                     bias_ready,

  output logic [OUT_PARALLELISM-1:0][OUT_WIDTH-1:0]                data_out,
  output logic                                                     data_out_valid,
  input  logic                                                     data_out_ready
);

  // ------------------------------------------------------------ derived sizes

  localparam int PI = IN_PARALLELISM;              // input lanes
  localparam int PO = OUT_PARALLELISM;             // output lanes
  localparam int KB = IN_SIZE / IN_PARALLELISM;    // input blocks per row
  localparam int JB = OUT_SIZE / OUT_PARALLELISM;  // output blocks (beats) per row
  localparam int KW = (KB > 1) ? $clog2(KB) : 1;   // input block counter width
  localparam int JW = (JB > 1) ? $clog2(JB) : 1;   // output block counter width
  localparam int XAW = $clog2(2 * KB);             // row buffer address width

  // Weight groups: SB inputs share a shift, NB groups per row, BK blocks a group.
  localparam int SCALED = (WEIGHT_GRANULARITY != 0) ? 1 : 0;
  localparam int SB = (WEIGHT_GRANULARITY == 2) ? WEIGHT_BLOCK : IN_SIZE;
  localparam int NB = IN_SIZE / SB;                 // groups per weight row
  localparam int BK = SB / IN_PARALLELISM;          // weight blocks per group
  localparam int SW = (SCALED != 0) ? WEIGHT_SHIFT_WIDTH : 1;  // shift code width
  localparam int MAX_SHIFT = (SCALED != 0) ? (1 << WEIGHT_SHIFT_WIDTH) - 1 : 0;

  // Fixed point: product frac, common frac F, alignment shifts.
  localparam int PROD_FRAC = IN_FRAC_WIDTH + WEIGHT_FRAC_WIDTH;
  localparam int F = ((HAS_BIAS != 0) && (BIAS_FRAC_WIDTH > PROD_FRAC))
                     ? BIAS_FRAC_WIDTH : PROD_FRAC;
  localparam int PROD_SHIFT = F - PROD_FRAC;       // product sum left shift
  localparam int BIAS_SHIFT = F - BIAS_FRAC_WIDTH; // bias left shift (HAS_BIAS)
  localparam int PW = IN_WIDTH + WEIGHT_WIDTH;     // exact product width
  localparam int TREE_LEVELS = $clog2(IN_PARALLELISM);
  // Accumulator width (the golden model's formula): holds the product sum
  // over IN_SIZE and the aligned bias, and their sum, exactly.
  localparam int SUM_W  = PW + $clog2(IN_SIZE) + PROD_SHIFT + MAX_SHIFT;
  localparam int BIAS_W = (HAS_BIAS != 0) ? BIAS_WIDTH + BIAS_SHIFT : 0;
  localparam int ACC_WIDTH = ((SUM_W > BIAS_W) ? SUM_W : BIAS_W) + ((HAS_BIAS != 0) ? 1 : 0);

  // Pipeline: stage 1 = row buffer / weight register, 2 = products,
  // T = adder tree sum, then accumulator, cast register, output FIFO.
  localparam int T = 2 + TREE_LEVELS;
  // Assumed mh_fifo latency (push edge to data_out_valid), cycles.
  localparam int FIFO_LATENCY = 2;
  // Cycles from issuing a beat's last block to its credit returning when the
  // FIFO is drained every cycle: T stages, accumulator, cast, FIFO, counter.
  localparam int CREDIT_LOOP = T + 2 + FIFO_LATENCY + 1;
  // Output FIFO memory entries: max(2, ceil(CREDIT_LOOP / KB)), the fewest
  // whose credits never stall issue without backpressure (one last block
  // every KB cycles, each holding its credit CREDIT_LOOP cycles).
  localparam int OUT_FIFO_DEPTH = ((CREDIT_LOOP + KB - 1) / KB > 2)
                                  ? (CREDIT_LOOP + KB - 1) / KB : 2;

  // ---------------------------------------------------------- input row buffer

  // Ping-pong: bank b holds words b*KB .. b*KB+KB-1 (one IN_PARALLELISM beat each).
  logic [PI*IN_WIDTH-1:0] row_mem [2*KB];
  logic [1:0]             bank_full_q;  // bank holds a complete, unconsumed row
  logic                   wr_bank_q;    // bank data_in writes into
  logic [KW-1:0]          wr_cnt_q;     // next word of wr_bank_q
  logic                   rd_bank_q;    // bank issue reads from
  logic                   wr;           // data_in handshake
  logic                   wr_last;      // ... with the last beat of a row
  logic [XAW-1:0]         wr_addr;
  logic [XAW-1:0]         rd_addr;

  // Issue state: the next weight block is (j_q, k_q) of the row in rd_bank_q.
  logic [KW-1:0] k_q;
  logic [JW-1:0] j_q;
  logic          k_first;     // first block of an output beat
  logic          k_last;      // last block of an output beat
  logic          row_last;    // last block of the row
  logic          row_avail;   // row buffer word k_q of rd_bank_q is stored
  logic          credit_ok;   // a last block may issue (output FIFO slot free)
  logic          bias_ok;     // a first block may issue (bias available)
  logic          can_issue;   // everything but the weight stream is ready
  logic          issue;       // one weight block enters the pipeline

  assign wr            = data_in_valid && data_in_ready;
  assign wr_last       = wr_cnt_q == KW'(KB - 1);
  assign data_in_ready = !bank_full_q[wr_bank_q];
  assign wr_addr       = wr_bank_q ? XAW'(KB) + XAW'(wr_cnt_q) : XAW'(wr_cnt_q);
  assign rd_addr       = rd_bank_q ? XAW'(KB) + XAW'(k_q) : XAW'(k_q);

  always_ff @(posedge clk) begin
    if (wr) begin
      row_mem[wr_addr] <= data_in;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      bank_full_q <= 2'b00;
      wr_bank_q   <= 1'b0;
      wr_cnt_q    <= '0;
      rd_bank_q   <= 1'b0;
    end else begin
      // A bank is filled only while it is empty (data_in_ready) and emptied
      // only while full, so the two updates never hit the same bank.
      if (wr && wr_last) begin
        bank_full_q[wr_bank_q] <= 1'b1;
      end
      if (issue && row_last) begin
        bank_full_q[rd_bank_q] <= 1'b0;
        rd_bank_q              <= !rd_bank_q;
      end
      if (wr) begin
        wr_cnt_q <= wr_last ? '0 : wr_cnt_q + KW'(1);
        if (wr_last) begin
          wr_bank_q <= !wr_bank_q;
        end
      end
    end
  end

  // ------------------------------------------------------------------- issue

  assign k_first   = k_q == '0;
  assign k_last    = k_q == KW'(KB - 1);
  assign row_last  = k_last && (j_q == JW'(JB - 1));
  // Word k_q is stored once its bank is full, or, for the row being written
  // (the first output block of a row that started early), once wr_cnt_q > k_q.
  assign row_avail = bank_full_q[rd_bank_q] || ((rd_bank_q == wr_bank_q) && (k_q < wr_cnt_q));
  assign can_issue = row_avail && (!k_last || credit_ok) && (!k_first || bias_ok);

  always_ff @(posedge clk) begin
    if (rst) begin
      k_q <= '0;
      j_q <= '0;
    end else if (issue) begin
      k_q <= k_last ? '0 : k_q + KW'(1);
      if (k_last) begin
        j_q <= row_last ? '0 : j_q + JW'(1);
      end
    end
  end

  // Pipeline valid and tag bits for stages 1..T (control, reset).
  logic [T:1] v_q;      // stage holds a weight block
  logic [T:1] first_q;  // ... the first of its output beat
  logic [T:1] last_q;   // ... the last of its output beat

  always_ff @(posedge clk) begin
    if (rst) begin
      v_q <= '0;
    end else begin
      v_q <= {v_q[T-1:1], issue};
    end
  end

  always_ff @(posedge clk) begin
    first_q <= {first_q[T-1:1], k_first};
    last_q  <= {last_q[T-1:1], k_last};
  end

  // ------------------------------------------------- stage 1: operand registers

  logic [PI-1:0][IN_WIDTH-1:0]        x_q;  // input block
  logic [PO*PI-1:0][WEIGHT_WIDTH-1:0] w_q;  // weight block

  always_ff @(posedge clk) begin
    if (issue) begin
      x_q <= row_mem[rd_addr];
    end
  end

  if (WEIGHTS_FROM_ROM != 0) begin : gen_weight_rom
    // Weight ROM word j*KB + k = block (j, k); read synchronously.
    localparam int DEPTH = KB * JB;                       // words
    localparam int AW    = (DEPTH > 1) ? $clog2(DEPTH) : 1; // address width
    logic [PO*PI*WEIGHT_WIDTH-1:0] rom [DEPTH];
    logic [AW-1:0]                 addr_q;

    initial begin
      if (WEIGHT_MEM_FILE != "") begin
        $readmemh(WEIGHT_MEM_FILE, rom, 0, DEPTH - 1);
      end
    end

    always_ff @(posedge clk) begin
      if (rst) begin
        addr_q <= '0;
      end else if (issue) begin
        addr_q <= row_last ? '0 : addr_q + AW'(1);
      end
    end

    if (DEPTH > 1) begin : gen_addr
      always_ff @(posedge clk) begin
        if (issue) begin
          w_q <= rom[addr_q];
        end
      end
    end else begin : gen_single_word
      logic unused_addr;
      assign unused_addr = ^addr_q;
      always_ff @(posedge clk) begin
        if (issue) begin
          w_q <= rom[0];
        end
      end
    end

    assign issue        = can_issue;
    assign weight_ready = 1'b0;
    // The weight stream is not used with ROM weights.
    logic unused_weight;
    assign unused_weight = ^{weight, weight_valid};
  end else begin : gen_weight_stream
    assign issue        = can_issue && weight_valid;
    assign weight_ready = can_issue;

    always_ff @(posedge clk) begin
      if (issue) begin
        w_q <= weight;
      end
    end
  end

  // ------------------------------------------------------------ weight shifts

  // Shift of each output lane for the block in stage T (0 without scales).
  logic [PO-1:0][SW-1:0] shift_t;

  if (SCALED == 0) begin : gen_no_shift
    assign shift_t = '0;
  end else begin : gen_shift
    // Word j*NB + g, read with the weight block; stages 1..T carry it along.
    localparam int DEPTH = JB * NB;                         // words
    localparam int AW    = (DEPTH > 1) ? $clog2(DEPTH) : 1; // address width
    localparam int BW    = (BK > 1) ? $clog2(BK) : 1;       // block-in-group counter width
    logic [PO*SW-1:0]         rom [DEPTH];
    logic [AW-1:0]            addr_q;
    logic [BW-1:0]            sub_q;   // weight blocks of the current group issued
    logic [T:1][PO*SW-1:0]    sh_q;

    initial begin
      if (SHIFT_MEM_FILE != "") begin
        $readmemh(SHIFT_MEM_FILE, rom, 0, DEPTH - 1);
      end
    end

    always_ff @(posedge clk) begin
      if (rst) begin
        addr_q <= '0;
        sub_q  <= '0;
      end else if (issue) begin
        if (row_last) begin
          addr_q <= '0;
          sub_q  <= '0;
        end else if (sub_q == BW'(BK - 1)) begin
          addr_q <= addr_q + AW'(1);
          sub_q  <= '0;
        end else begin
          sub_q  <= sub_q + BW'(1);
        end
      end
    end

    logic [PO*SW-1:0] rd_word;  // ROM word addr_q
    if (DEPTH > 1) begin : gen_addr
      assign rd_word = rom[addr_q];
    end else begin : gen_single_word
      logic unused_addr;
      assign unused_addr = ^addr_q;
      assign rd_word     = rom[0];
    end

    always_ff @(posedge clk) begin
      if (issue) begin
        sh_q[1] <= rd_word;
      end
      sh_q[T:2] <= sh_q[T-1:1];
    end

    assign shift_t = sh_q[T];
  end

  // ----------------------------------------------------------------- bias

  // Accumulator start value of each lane for the first block of a beat,
  // valid in the cycle that block is in stage T: the bias aligned to frac F.
  logic [PO-1:0][ACC_WIDTH-1:0] acc_init;

  if (HAS_BIAS == 0) begin : gen_no_bias
    assign acc_init   = '0;
    assign bias_ok    = 1'b1;
    assign bias_ready = 1'b0;
    // The bias stream is not used without a bias.
    logic unused_bias;
    assign unused_bias = ^{bias, bias_valid};
  end else begin : gen_bias
    logic [PO-1:0][BIAS_WIDTH-1:0] bias_t;  // bias of the beat in stage T

    for (genvar o = 0; o < PO; o++) begin : gen_align
      assign acc_init[o] = ACC_WIDTH'($signed(bias_t[o])) <<< BIAS_SHIFT;
    end

    if (WEIGHTS_FROM_ROM != 0) begin : gen_bias_rom
      // Bias ROM word j = b[j*PO +: PO]; read when a first block is in stage
      // T-1, so the word is in the read register when that block reaches T.
      localparam int AW = (JB > 1) ? $clog2(JB) : 1;  // address width
      logic [PO*BIAS_WIDTH-1:0] rom [JB];
      logic [AW-1:0]            addr_q;

      initial begin
        if (BIAS_MEM_FILE != "") begin
          $readmemh(BIAS_MEM_FILE, rom, 0, JB - 1);
        end
      end

      always_ff @(posedge clk) begin
        if (rst) begin
          addr_q <= '0;
        end else if (v_q[T-1] && first_q[T-1]) begin
          addr_q <= (addr_q == AW'(JB - 1)) ? '0 : addr_q + AW'(1);
        end
      end

      if (JB > 1) begin : gen_addr
        always_ff @(posedge clk) begin
          if (v_q[T-1] && first_q[T-1]) begin
            bias_t <= rom[addr_q];
          end
        end
      end else begin : gen_single_word
        always_ff @(posedge clk) begin
          if (v_q[T-1] && first_q[T-1]) begin
            bias_t <= rom[0];
          end
        end
      end

      assign bias_ok    = 1'b1;
      assign bias_ready = 1'b0;
      // The bias stream is not used with a bias ROM.
      logic unused_bias;
      assign unused_bias = ^{bias, bias_valid};
    end else begin : gen_bias_stream
      // Bias beats wait in a FIFO and leave it when their output beat's first
      // block reaches stage T. A first block issues only if a stored beat is
      // not yet claimed by an earlier first block. A beat is claimed >= 1
      // cycle after its push and popped T >= 2 cycles after its claim, so it
      // is at the FIFO head (latency FIFO_LATENCY) by then.
      // FIFO memory entries: max(2, ceil((T + 1) / KB)), the fewest that keep
      // II 1 with the bias stream always valid (claims every KB cycles, a
      // slot comes back T + 1 cycles after its claim; measured, one fewer
      // stalls issue when KB = 1).
      localparam int DEPTH = ((T + KB) / KB > 2) ? (T + KB) / KB : 2;
      // Claim counter width: mh_fifo holds up to DEPTH + 1 beats.
      localparam int CW    = $clog2(DEPTH + 2);
      logic [CW-1:0] unclaimed_q;   // bias beats in the FIFO that no issued block owns
      logic          push;
      logic          claim;
      logic          unused_bias_valid;

      assign push    = bias_valid && bias_ready;
      assign claim   = issue && k_first;
      assign bias_ok = unclaimed_q != '0;

      always_ff @(posedge clk) begin
        if (rst) begin
          unclaimed_q <= '0;
        end else begin
          unclaimed_q <= unclaimed_q + CW'(push) - CW'(claim);
        end
      end

      mh_fifo #(
        .DATA_WIDTH (PO * BIAS_WIDTH),
        .DEPTH      (DEPTH)
      ) u_bias_fifo (
        .clk            (clk),
        .rst            (rst),
        .data_in        (bias),
        .data_in_valid  (bias_valid),
        .data_in_ready  (bias_ready),
        .data_out       (bias_t),
        // Valid whenever it is popped (claim accounting above).
        .data_out_valid (unused_bias_valid),
        .data_out_ready (v_q[T] && first_q[T])
      );
    end
  end

  // ------------------------ stages 2..T, accumulator, cast: per output lane o

  logic                             acc_done_q;  // accumulators hold finished sums
  logic                             out_valid_q; // out_beat holds a beat for the FIFO
  logic [PO-1:0][OUT_WIDTH-1:0]     out_beat;    // cast beat (mh_mac_lane output registers)

  for (genvar o = 0; o < PO; o++) begin : gen_lane
    logic [PI-1:0][WEIGHT_WIDTH-1:0] w_lane;  // weights of output lane o

    for (genvar i = 0; i < PI; i++) begin : gen_w
      assign w_lane[i] = w_q[o*PI+i];
    end

    mh_mac_lane #(
      .A_WIDTH        (IN_WIDTH),
      .B_WIDTH        (WEIGHT_WIDTH),
      .SIZE           (PI),
      .ACC_WIDTH      (ACC_WIDTH),
      .ACC_FRAC_WIDTH (F),
      .PROD_SHIFT     (PROD_SHIFT),
      .SHIFT_WIDTH    (SW),
      .OUT_WIDTH      (OUT_WIDTH),
      .OUT_FRAC_WIDTH (OUT_FRAC_WIDTH),
      .ROUNDING       (ROUNDING),
      .OVERFLOW       (OVERFLOW)
    ) u_mac (
      .clk       (clk),
      .a         (x_q),
      .b         (w_lane),
      .acc_en    (v_q[T]),
      .acc_first (first_q[T]),
      .acc_init  (acc_init[o]),
      .shift     (shift_t[o]),
      .out_en    (acc_done_q),
      .data_out  (out_beat[o])
    );
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      acc_done_q  <= 1'b0;
      out_valid_q <= 1'b0;
    end else begin
      acc_done_q  <= v_q[T] && last_q[T];
      out_valid_q <= acc_done_q;
    end
  end

  // ------------------------------------------------------ output FIFO, credits

  logic out_claim;  // the last block of an output beat issues: it takes a FIFO entry

  assign out_claim = issue && k_last;

  mh_credit_fifo #(
    .DATA_WIDTH (PO * OUT_WIDTH),
    .DEPTH      (OUT_FIFO_DEPTH)
  ) u_out_fifo (
    .clk            (clk),
    .rst            (rst),
    .claim          (out_claim),
    .credit_ok      (credit_ok),
    .data_in        (out_beat),
    .data_in_valid  (out_valid_q),
    .data_out       (data_out),
    .data_out_valid (data_out_valid),
    .data_out_ready (data_out_ready)
  );

endmodule

`resetall
