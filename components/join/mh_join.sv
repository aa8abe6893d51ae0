`default_nettype none

// mh_join: synchronises `N` input streams into one output stream.
//
// When every input offers a beat and the output register is empty or being
// emptied this cycle, all N input beats are taken together and loaded into
// the output register as one beat: input i in bits
// [i*DATA_WIDTH +: DATA_WIDTH] (input 0 least significant), i.e. lane i of
// `data_out`. An input is never taken alone.
//
// Does not: buffer inputs separately (an input that arrives early waits,
// with its ready low, until all inputs are valid), reorder, or cut the ready
// path (use a skid buffer on the inputs or the output for that).
//
// Registered output: `data_out_valid` and `data_out` come from registers.
// Latency 1, II 1 with no bubble: the output register reloads in the same
// cycle its beat is taken. `data_in_ready[i]` = all `data_in_valid` high and
// (output register empty or `data_out_ready`); identical for every i.
// Combinational ready path: `data_out_ready` -> `data_in_ready[*]`; also
// `data_in_valid[*]` -> `data_in_ready[*]` (ready never drives a valid, so
// no loop forms with AXI-Stream-compliant neighbours).
// Reset clears the output valid bit only.

module mh_join #(
  parameter int DATA_WIDTH = 32,  // beat width of each input, bits (>= 1)
  parameter int N          = 2    // number of inputs (>= 1)
) (
  input  logic                         clk,
  input  logic                         rst,

  input  logic [N-1:0][DATA_WIDTH-1:0] data_in,
  input  logic [N-1:0]                 data_in_valid,
  output logic [N-1:0]                 data_in_ready,

  output logic [N-1:0][DATA_WIDTH-1:0] data_out,
  output logic                         data_out_valid,
  input  logic                         data_out_ready
);

  logic [N-1:0][DATA_WIDTH-1:0] out_data_q;   // output register, not reset
  logic                         out_valid_q;  // out_data holds a beat
  logic                         load;         // take all inputs this edge

  assign load = (&data_in_valid) && (!out_valid_q || data_out_ready);

  always_ff @(posedge clk) begin
    if (rst) begin
      out_valid_q <= 1'b0;
    end else if (load) begin
      out_valid_q <= 1'b1;
    end else if (data_out_ready) begin
      out_valid_q <= 1'b0;
    end
  end

  always_ff @(posedge clk) begin
    if (load) begin
      out_data_q <= data_in;
    end
  end

  assign data_in_ready  = {N{load}};
  assign data_out       = out_data_q;
  assign data_out_valid = out_valid_q;

endmodule

`resetall
