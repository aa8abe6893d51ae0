`default_nettype none

// mh_fork: broadcasts each `data_in` beat to `N` output streams.
//
// Every output offers the same beat; each takes it independently, and a
// per-output "taken" bit remembers which outputs already have it, so a fast
// output never sees a beat twice while a slow one still holds it up.
// `data_in_ready` is high in the cycle the last outstanding outputs take the
// beat, i.e. when every output has taken it or is taking it now.
//
// Does not: buffer data (no registers on the datapath), let outputs run ahead
// of each other by more than the current beat, or cut any combinational path.
// Put a skid buffer or FIFO on an output that must decouple.
//
// Combinational: latency 0, II 1. `data_out[i]` is `data_in`;
// `data_out_valid[i]` depends only on `data_in_valid` and the taken bit i,
// never on any ready. Combinational ready path: `data_out_ready[*]` ->
// `data_in_ready`.
// Reset clears the taken bits.

module mh_fork #(
  parameter int DATA_WIDTH = 32,  // beat width, bits (>= 1)
  parameter int N          = 2    // number of outputs (>= 1)
) (
  input  logic                         clk,
  input  logic                         rst,

  input  logic [DATA_WIDTH-1:0]        data_in,
  input  logic                         data_in_valid,
  output logic                         data_in_ready,

  output logic [N-1:0][DATA_WIDTH-1:0] data_out,
  output logic [N-1:0]                 data_out_valid,
  input  logic [N-1:0]                 data_out_ready
);

  logic [N-1:0] taken_q;  // output i already took the current input beat
  logic [N-1:0] done;     // output i has taken the beat or takes it this edge

  assign data_out_valid = {N{data_in_valid}} & ~taken_q;
  assign done           = taken_q | data_out_ready;
  assign data_in_ready  = &done;

  for (genvar i = 0; i < N; i++) begin : gen_out
    assign data_out[i] = data_in;
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      taken_q <= '0;
    end else if (data_in_valid && data_in_ready) begin
      taken_q <= '0;
    end else begin
      taken_q <= taken_q | (data_out_valid & data_out_ready);
    end
  end

endmodule

`resetall
