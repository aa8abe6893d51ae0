`default_nettype none

// mh_pipelined_adder_tree: pipelined signed adder tree without handshake
// (used by mh_mac_lane, so by mh_linear and mh_matmul; the handshaked
// component is mh_adder_tree).
//
// Sums IN_SIZE signed lanes of IN_WIDTH bits into one signed lane of
// IN_WIDTH + clog2(IN_SIZE) bits, exactly (no rounding, no overflow). Level l
// (1..clog2(IN_SIZE)) adds pairs of level l-1 into ceil(IN_SIZE / 2^l) nodes of
// IN_WIDTH + l bits and registers them; an odd node out is sign-extended and
// registered, so every path has the same latency.
//
// Does not: handshake, stall, or carry a valid bit. The registers load every
// cycle, so the caller delays its own valid/tag bits by LATENCY cycles next to
// the tree (mh_mac_lane's callers do). Does not reset (datapath only).
//
// Pure pipeline: latency clog2(IN_SIZE) cycles (0 for IN_SIZE = 1, where the
// tree is a wire), II 1. No ready/valid, so no combinational handshake paths.

module mh_pipelined_adder_tree #(
  parameter int IN_WIDTH = 16,  // lane width, bits (>= 1)
  parameter int IN_SIZE  = 4    // number of lanes summed (>= 1)
) (
  input  logic                                  clk,
  input  logic [IN_SIZE-1:0][IN_WIDTH-1:0]      data_in,
  output logic [IN_WIDTH+$clog2(IN_SIZE)-1:0]   data_out
);

  // Number of register levels (= latency, cycles).
  localparam int LEVELS = $clog2(IN_SIZE);

  for (genvar l = 0; l <= LEVELS; l++) begin : gen_level
    // Nodes on this level: ceil(IN_SIZE / 2^l).
    localparam int NODES = (IN_SIZE + (1 << l) - 1) >> l;
    // Node width on this level, bits.
    localparam int W = IN_WIDTH + l;

    logic signed [W-1:0] node [NODES];

    if (l == 0) begin : gen_leaves
      for (genvar i = 0; i < NODES; i++) begin : gen_node
        assign node[i] = $signed(data_in[i]);
      end
    end else begin : gen_sums
      // Nodes on the level below: ceil(IN_SIZE / 2^(l-1)).
      localparam int BELOW = (IN_SIZE + (1 << (l - 1)) - 1) >> (l - 1);
      for (genvar i = 0; i < NODES; i++) begin : gen_node
        if (2 * i + 1 < BELOW) begin : gen_pair
          always_ff @(posedge clk) begin
            node[i] <= W'(gen_level[l-1].node[2*i]) + W'(gen_level[l-1].node[2*i+1]);
          end
        end else begin : gen_single
          always_ff @(posedge clk) begin
            node[i] <= W'(gen_level[l-1].node[2*i]);
          end
        end
      end
    end
  end

  assign data_out = gen_level[LEVELS].node[0];

  if (LEVELS == 0) begin : gen_wire
    // One lane: the tree is a wire and the clock is not needed.
    logic unused_clk;
    assign unused_clk = clk;
  end

endmodule

`resetall
