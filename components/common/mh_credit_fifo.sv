`default_nettype none

// mh_credit_fifo: output FIFO with a credit counter, the tail of a
// non-stalling pipeline (shared by mh_linear and mh_matmul).
//
// The producer owns a pipeline that cannot stop. Before it starts work that
// will end in one beat for `data_in`, it claims a credit (`claim`, allowed
// only while `credit_ok`); the beat arrives on `data_in` / `data_in_valid`
// any number of cycles later and always finds a free FIFO entry. A credit
// returns when a beat leaves on `data_out`. The counter starts at DEPTH and
// counts only the mh_fifo's DEPTH memory entries (not its output register),
// a safe bound: beats claimed and not yet delivered never exceed DEPTH.
// So backpressure on `data_out` stops the producer's issue, never a pipeline
// stage, and no ready path runs back through the pipeline.
//
// Does not: stall `data_in` (there is no `data_in_ready`: a beat without a
// claimed credit is a producer bug, caught by the assertions below in
// simulation), size DEPTH for full rate (the producer computes the fewest
// entries whose credits never stall issue), or reset the FIFO memory.
//
// Assertions (simulation only, `ifndef SYNTHESIS`): the counter never
// underflows (a claim with no credit left) nor overflows (more than DEPTH
// credits), and the FIFO never sees `data_in_valid` while full.
//
// Registered: `credit_ok` is a function of the counter register only;
// `data_out_valid` and `data_out` come from mh_fifo's registers. No
// combinational path from `data_out_ready` or `claim` to any output.
// Latency 2 (mh_fifo's), II 1. A credit returned on edge t can be claimed in
// the cycle after t.

module mh_credit_fifo #(
  parameter int DATA_WIDTH = 32,  // beat width, bits (>= 1)
  parameter int DEPTH      = 2    // FIFO memory entries and credits (>= 2)
) (
  input  logic                  clk,
  input  logic                  rst,

  input  logic                  claim,
  output logic                  credit_ok,

  input  logic [DATA_WIDTH-1:0] data_in,
  input  logic                  data_in_valid,

  output logic [DATA_WIDTH-1:0] data_out,
  output logic                  data_out_valid,
  input  logic                  data_out_ready
);

  // Credit counter width: holds 0..DEPTH.
  localparam int CREDIT_WIDTH = $clog2(DEPTH + 1);

  logic [CREDIT_WIDTH-1:0] credit_q;       // FIFO entries not owned by a claimed beat
  logic                    credit_return;  // a beat leaves on data_out
  logic                    fifo_in_ready;  // high whenever a claimed beat arrives

  assign credit_return = data_out_valid && data_out_ready;
  assign credit_ok     = credit_q != '0;

  always_ff @(posedge clk) begin
    if (rst) begin
      credit_q <= CREDIT_WIDTH'(DEPTH);
    end else begin
      credit_q <= credit_q + CREDIT_WIDTH'(credit_return) - CREDIT_WIDTH'(claim);
    end
  end

`ifndef SYNTHESIS
  // Checks only: a plain `always` (not `always_ff`), as it holds no state.
  always @(posedge clk) begin
    if (!rst) begin
      assert (!claim || credit_ok)
        else $error("mh_credit_fifo: credit claimed with none left");
      assert (!credit_return || claim || (credit_q != CREDIT_WIDTH'(DEPTH)))
        else $error("mh_credit_fifo: more than DEPTH credits returned");
      assert (!data_in_valid || fifo_in_ready)
        else $error("mh_credit_fifo: beat delivered without a free entry");
    end
  end
`endif

  mh_fifo #(
    .DATA_WIDTH (DATA_WIDTH),
    .DEPTH      (DEPTH)
  ) u_fifo (
    .clk            (clk),
    .rst            (rst),
    .data_in        (data_in),
    .data_in_valid  (data_in_valid),
    .data_in_ready  (fifo_in_ready),
    .data_out       (data_out),
    .data_out_valid (data_out_valid),
    .data_out_ready (data_out_ready)
  );

endmodule

`resetall
