`default_nettype none

// mh_dot_product: exact dot product of two PARALLELISM-lane signed streams.
//
// Joins one `data_in` beat with one `weight` beat (both are taken on the same
// edge, so beats pair up in order), multiplies lane by lane into a register
// of PARALLELISM products of IN_WIDTH + WEIGHT_WIDTH bits, then sums them in
// mh_adder_tree. The result, OUT_WIDTH = IN_WIDTH + WEIGHT_WIDTH +
// clog2(PARALLELISM) bits, never overflows.
//
// Registered: product stage (valid and data) then one register per adder
// tree level. Ready paths are combinational: `data_in_ready` depends on
// `weight_valid`, `weight_ready` on `data_in_valid`, and both on
// `data_out_ready` through every stage. Not a spill register.
// Latency 1 + max(1, clog2(PARALLELISM)) cycles, initiation interval 1.
//
// Does not: round, saturate, accumulate across beats, or cut the ready path.

module mh_dot_product #(
  parameter int IN_WIDTH     = 8,  // data_in lane width, bits, signed
  parameter int WEIGHT_WIDTH = 8,  // weight lane width, bits, signed
  parameter int PARALLELISM  = 4,  // lanes per beat, >= 1
  localparam int OUT_WIDTH = IN_WIDTH + WEIGHT_WIDTH + $clog2(PARALLELISM)  // bits
) (
  input  logic                                     clk,
  input  logic                                     rst,

  input  logic [PARALLELISM-1:0][IN_WIDTH-1:0]     data_in,
  input  logic                                     data_in_valid,
  output logic                                     data_in_ready,

  input  logic [PARALLELISM-1:0][WEIGHT_WIDTH-1:0] weight,
  input  logic                                     weight_valid,
  output logic                                     weight_ready,

  output logic [OUT_WIDTH-1:0]                     data_out,
  output logic                                     data_out_valid,
  input  logic                                     data_out_ready
);

  // One exact product.
  localparam int PROD_WIDTH = IN_WIDTH + WEIGHT_WIDTH;

  logic                                   prod_valid_q;  // product stage holds a beat
  logic                                   prod_ready;    // adder tree takes the products
  logic                                   prod_load;     // product stage loads this edge
  logic [PARALLELISM-1:0][PROD_WIDTH-1:0] prod_q;        // registered products

  assign prod_load     = !prod_valid_q || prod_ready;
  assign data_in_ready = prod_load && weight_valid;
  assign weight_ready  = prod_load && data_in_valid;

  // Control: valid bit (reset).
  always_ff @(posedge clk) begin
    if (rst) begin
      prod_valid_q <= 1'b0;
    end else if (prod_load) begin
      prod_valid_q <= data_in_valid && weight_valid;
    end
  end

  // Datapath: no reset. Operands widened first so the product is exact.
  for (genvar i = 0; i < PARALLELISM; i++) begin : gen_lane
    always_ff @(posedge clk) begin
      if (prod_load && data_in_valid && weight_valid) begin
        prod_q[i] <= PROD_WIDTH'($signed(data_in[i])) * PROD_WIDTH'($signed(weight[i]));
      end
    end
  end

  mh_adder_tree #(
    .IN_WIDTH(PROD_WIDTH),
    .IN_SIZE (PARALLELISM)
  ) u_adder_tree (
    .clk           (clk),
    .rst           (rst),
    .data_in       (prod_q),
    .data_in_valid (prod_valid_q),
    .data_in_ready (prod_ready),
    .data_out      (data_out),
    .data_out_valid(data_out_valid),
    .data_out_ready(data_out_ready)
  );

endmodule

`resetall
