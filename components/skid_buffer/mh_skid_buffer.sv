`default_nettype none

// mh_skid_buffer: two-entry register slice (skid buffer) on one stream.
//
// Passes `data_in` beats to `data_out` unchanged and in order. An output
// register holds the beat offered on `data_out`; a second "skid" register
// catches the one beat that may arrive in the cycle the output stalls, so
// `data_in_ready` can be a register (it is low exactly when the skid
// register is full).
//
// Does not: change, drop or reorder data; flush; hold more than two beats.
// Does not add a bubble: a beat can enter every cycle the output keeps up.
//
// Spill (fully registered): `data_out_valid`, `data_out` and `data_in_ready`
// are driven straight from registers, so no combinational path crosses the
// module (neither valid/data forwards nor ready backwards).
// Latency 1 (a beat taken on edge t can leave on edge t+1), II 1, capacity 2.
// Reset clears the two valid bits only; `data_in_ready` is high during and
// right after reset (drive `data_in_valid` low while `rst` is high).

module mh_skid_buffer #(
  parameter int DATA_WIDTH = 32  // beat width, bits (>= 1)
) (
  input  logic                  clk,
  input  logic                  rst,

  input  logic [DATA_WIDTH-1:0] data_in,
  input  logic                  data_in_valid,
  output logic                  data_in_ready,

  output logic [DATA_WIDTH-1:0] data_out,
  output logic                  data_out_valid,
  input  logic                  data_out_ready
);

  logic [DATA_WIDTH-1:0] out_data_q;   // beat offered on data_out
  logic                  out_valid_q;  // out_data holds a beat
  logic [DATA_WIDTH-1:0] skid_data_q;  // beat caught while the output stalled
  logic                  skid_valid_q; // skid_data holds a beat (input not ready)

  // The output register can load this edge: it is empty or being emptied.
  logic out_load;

  assign out_load = !out_valid_q || data_out_ready;

  // Control: valid bits (reset).
  always_ff @(posedge clk) begin
    if (rst) begin
      out_valid_q  <= 1'b0;
      skid_valid_q <= 1'b0;
    end else if (out_load) begin
      // The skid beat is older than any input beat (and the input is not
      // ready while the skid holds one), so it goes out first.
      out_valid_q  <= skid_valid_q || data_in_valid;
      skid_valid_q <= 1'b0;
    end else if (!skid_valid_q) begin
      // Output stalled with a beat: an accepted input beat goes to the skid.
      skid_valid_q <= data_in_valid;
    end
  end

  // Datapath: no reset; a slot loads whenever it may take a beat, and its
  // valid bit above says whether what it loaded is a beat.
  always_ff @(posedge clk) begin
    if (out_load) begin
      out_data_q <= skid_valid_q ? skid_data_q : data_in;
    end
    if (!out_load && !skid_valid_q) begin
      skid_data_q <= data_in;
    end
  end

  assign data_in_ready  = !skid_valid_q;
  assign data_out       = out_data_q;
  assign data_out_valid = out_valid_q;

endmodule

`resetall
