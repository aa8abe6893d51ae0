`default_nettype none

// mh_adder_tree: exact sum of IN_SIZE signed lanes, pipelined.
//
// A binary tree of adders: level k (1..clog2(IN_SIZE)) adds pairs of level
// k-1 results, widening by one bit per level; an odd last element passes to
// the next level sign-extended. The result has OUT_WIDTH =
// IN_WIDTH + clog2(IN_SIZE) bits and never overflows. IN_SIZE may be any
// value >= 1; IN_SIZE = 1 is a single register stage (OUT_WIDTH = IN_WIDTH).
//
// Registered: one register (valid and data) per tree level, each stage
// stalling on its own (stage k loads when it is empty or stage k+1 loads), so
// bubbles are squeezed out. `data_in_ready` is combinational from
// `data_out_ready` through every stage; not a spill register.
// Latency max(1, clog2(IN_SIZE)) cycles, initiation interval 1.
//
// Does not: round, saturate, or cut the ready path.

module mh_adder_tree #(
  parameter int IN_WIDTH = 16,  // input lane width, bits, signed
  parameter int IN_SIZE  = 4,   // number of input lanes, >= 1
  localparam int OUT_WIDTH = IN_WIDTH + $clog2(IN_SIZE)  // sum width, bits
) (
  input  logic                             clk,
  input  logic                             rst,

  input  logic [IN_SIZE-1:0][IN_WIDTH-1:0] data_in,
  input  logic                             data_in_valid,
  output logic                             data_in_ready,

  output logic [OUT_WIDTH-1:0]             data_out,
  output logic                             data_out_valid,
  input  logic                             data_out_ready
);

  // Register stages: one per tree level, at least one.
  localparam int LEVELS = (IN_SIZE > 1) ? $clog2(IN_SIZE) : 1;

  // stage_valid[k]: stage k holds a beat (index 0 = the data_in offer).
  // stage_ready[k]: stage k loads this edge if offered a beat (index
  // LEVELS+1 = data_out_ready).
  logic [LEVELS:0]   stage_valid;
  logic [LEVELS+1:1] stage_ready;

  assign stage_valid[0]        = data_in_valid;
  assign stage_ready[LEVELS+1] = data_out_ready;
  assign data_in_ready         = stage_ready[1];
  assign data_out_valid        = stage_valid[LEVELS];

  for (genvar k = 1; k <= LEVELS; k++) begin : gen_level
    // Values entering and leaving this level, and their widths.
    localparam int N_IN  = (IN_SIZE + (1 << (k - 1)) - 1) >> (k - 1);
    localparam int N_OUT = (IN_SIZE + (1 << k) - 1) >> k;
    localparam int W_IN  = IN_WIDTH + k - 1;
    localparam int W     = (IN_SIZE > 1) ? IN_WIDTH + k : IN_WIDTH;

    logic                      valid_q;  // this stage holds a beat
    logic [N_IN-1:0][W_IN-1:0] operand;  // previous stage's values
    logic [N_OUT-1:0][W-1:0]   sum_d;    // this level's sums
    logic [N_OUT-1:0][W-1:0]   sum_q;    // this level's registers

    assign stage_ready[k] = !valid_q || stage_ready[k+1];
    assign stage_valid[k] = valid_q;

    if (k == 1) begin : gen_from_input
      assign operand = data_in;
    end else begin : gen_from_level
      assign operand = gen_level[k-1].sum_q;
    end

    for (genvar j = 0; j < N_OUT; j++) begin : gen_node
      if (2 * j + 1 < N_IN) begin : gen_add
        assign sum_d[j] = W'($signed(operand[2*j])) + W'($signed(operand[2*j+1]));
      end else begin : gen_pass
        assign sum_d[j] = W'($signed(operand[2*j]));
      end
    end

    // Control: valid bit (reset).
    always_ff @(posedge clk) begin
      if (rst) begin
        valid_q <= 1'b0;
      end else if (stage_ready[k]) begin
        valid_q <= stage_valid[k-1];
      end
    end

    // Datapath: no reset.
    always_ff @(posedge clk) begin
      if (stage_valid[k-1] && stage_ready[k]) begin
        sum_q <= sum_d;
      end
    end
  end

  assign data_out = gen_level[LEVELS].sum_q;

endmodule

`resetall
