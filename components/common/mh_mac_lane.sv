`default_nettype none

// mh_mac_lane: one output lane of a blocked multiply-accumulate engine
// (shared by mh_linear and mh_matmul).
//
// Each cycle it multiplies SIZE signed operand pairs (a[i] * b[i], exact,
// A_WIDTH + B_WIDTH bits), sums the products exactly in an
// mh_pipelined_adder_tree, and, while `acc_en` is high, adds that block sum,
// shifted left by PROD_SHIFT + `shift` bits (exact), to the ACC_WIDTH-bit
// accumulator, which starts again from `acc_init` when `acc_first` is high.
// The accumulator (frac ACC_FRAC_WIDTH) is cast once (mh_cast_lane) to
// OUT_WIDTH / OUT_FRAC_WIDTH with ROUNDING / OVERFLOW and loaded into the
// output register when `out_en` is high.
//
// Pipeline (no stall, no valid bit: the caller carries its own): operands
// `a`/`b` in cycle c, products registered at the end of c, the block sum
// of cycle c's operands is in the accumulator input LATENCY = 1 +
// clog2(SIZE) cycles later, so `acc_en`, `acc_first`, `acc_init` and
// `shift` belong to the operands of LATENCY cycles earlier. `out_en` one
// cycle after the last accumulation of a sum loads the cast of that sum;
// `data_out` holds it until the next `out_en`.
//
// Does not: round anywhere but the cast, check that ACC_WIDTH holds the sum
// (the caller sizes it with the golden model's formula), handshake, or
// reset (datapath only).

module mh_mac_lane #(
  parameter int A_WIDTH        = 8,   // operand a lane width, bits
  parameter int B_WIDTH        = 8,   // operand b lane width, bits
  parameter int SIZE           = 4,   // products per cycle (lanes of a and b)
  parameter int ACC_WIDTH      = 20,  // accumulator width, bits
  parameter int ACC_FRAC_WIDTH = 8,   // accumulator fractional bits
  parameter int PROD_SHIFT     = 0,   // constant left shift of each block sum, bits
  parameter int SHIFT_WIDTH    = 1,   // width of the per-block shift `shift`, bits
  parameter int OUT_WIDTH      = 8,   // data_out width, bits
  parameter int OUT_FRAC_WIDTH = 4,   // data_out fractional bits
  parameter int ROUNDING       = 2,   // output rounding code 0..6 (RND)
  parameter int OVERFLOW       = 1    // output overflow code 0..3 (SAT)
) (
  input  logic                          clk,

  input  logic [SIZE-1:0][A_WIDTH-1:0]  a,
  input  logic [SIZE-1:0][B_WIDTH-1:0]  b,

  input  logic                          acc_en,
  input  logic                          acc_first,
  input  logic [ACC_WIDTH-1:0]          acc_init,
  input  logic [SHIFT_WIDTH-1:0]        shift,

  input  logic                          out_en,
  output logic [OUT_WIDTH-1:0]          data_out
);

  localparam int PW = A_WIDTH + B_WIDTH;  // exact product width
  localparam int TW = PW + $clog2(SIZE);  // block sum width

  logic [SIZE-1:0][PW-1:0]     prod_q;    // exact products
  logic [TW-1:0]               sum;       // block sum
  logic signed [ACC_WIDTH-1:0] acc_q;     // running sum, frac ACC_FRAC_WIDTH
  logic [OUT_WIDTH-1:0]        cast_out;  // cast of acc_q
  logic [OUT_WIDTH-1:0]        out_q;     // output register

  for (genvar i = 0; i < SIZE; i++) begin : gen_mul
    always_ff @(posedge clk) begin
      prod_q[i] <= PW'($signed(a[i])) * PW'($signed(b[i]));
    end
  end

  mh_pipelined_adder_tree #(
    .IN_WIDTH (PW),
    .IN_SIZE  (SIZE)
  ) u_tree (
    .clk      (clk),
    .data_in  (prod_q),
    .data_out (sum)
  );

  always_ff @(posedge clk) begin
    if (acc_en) begin
      acc_q <= (acc_first ? $signed(acc_init) : acc_q)
             + ((ACC_WIDTH'($signed(sum)) <<< PROD_SHIFT) <<< shift);
    end
  end

  mh_cast_lane #(
    .IN_WIDTH       (ACC_WIDTH),
    .IN_FRAC_WIDTH  (ACC_FRAC_WIDTH),
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
    if (out_en) begin
      out_q <= cast_out;
    end
  end

  assign data_out = out_q;

endmodule

`resetall
