`default_nettype none

// mh_accumulator: lane-wise sum of every DEPTH consecutive beats.
//
// Each of PARALLELISM signed lanes adds DEPTH consecutive input beats
// exactly, into OUT_WIDTH = IN_WIDTH + clog2(DEPTH) bits, and emits one
// output beat per DEPTH input beats (groups counted from reset). The sum of a
// group's last beat goes straight into the output register while the
// accumulator restarts with the next group's first beat, so a beat can enter
// every cycle, including the one right after a group ends.
//
// Registered output (valid and data). `data_in_ready` is combinational from
// `data_out_ready`, and only matters on a group's last beat:
// data_in_ready = (beat is not last) || !data_out_valid || data_out_ready.
// Not a spill register.
// Latency 1 cycle (last input beat of a group to the output beat),
// initiation interval 1.
//
// Does not: round, saturate, flush a partial group, or cut the ready path.

module mh_accumulator #(
  parameter int IN_WIDTH    = 16,  // input lane width, bits, signed
  parameter int DEPTH       = 4,   // beats summed per output beat, >= 1
  parameter int PARALLELISM = 1,   // lanes per beat
  localparam int OUT_WIDTH = IN_WIDTH + $clog2(DEPTH)  // output lane width, bits
) (
  input  logic                                  clk,
  input  logic                                  rst,

  input  logic [PARALLELISM-1:0][IN_WIDTH-1:0]  data_in,
  input  logic                                  data_in_valid,
  output logic                                  data_in_ready,

  output logic [PARALLELISM-1:0][OUT_WIDTH-1:0] data_out,
  output logic                                  data_out_valid,
  input  logic                                  data_out_ready
);

  logic                                  out_free;  // output register can load
  logic                                  last;      // this input beat ends a group
  logic                                  take;      // an input beat moves this edge
  logic [PARALLELISM-1:0][OUT_WIDTH-1:0] sum;       // running sum including data_in

  assign out_free      = !data_out_valid || data_out_ready;
  assign data_in_ready = !last || out_free;
  assign take          = data_in_valid && data_in_ready;

  if (DEPTH == 1) begin : gen_pass
    assign last = 1'b1;
    assign sum  = data_in;
  end else begin : gen_count
    // Beat counter within a group, 0..DEPTH-1.
    localparam int COUNT_WIDTH = $clog2(DEPTH);

    logic [COUNT_WIDTH-1:0]                count_q;  // beats of the group taken so far
    logic [PARALLELISM-1:0][OUT_WIDTH-1:0] acc_q;    // sum of those beats

    assign last = count_q == COUNT_WIDTH'(DEPTH - 1);

    for (genvar i = 0; i < PARALLELISM; i++) begin : gen_lane
      // The first beat of a group starts from zero instead of the old sum.
      assign sum[i] = ((count_q == '0) ? OUT_WIDTH'(0) : $signed(acc_q[i]))
                    + OUT_WIDTH'($signed(data_in[i]));
    end

    // Control: counter (reset).
    always_ff @(posedge clk) begin
      if (rst) begin
        count_q <= '0;
      end else if (take) begin
        count_q <= last ? '0 : count_q + 1'b1;
      end
    end

    // Datapath: no reset.
    always_ff @(posedge clk) begin
      if (take) begin
        acc_q <= sum;
      end
    end
  end

  // Control: output valid (reset).
  always_ff @(posedge clk) begin
    if (rst) begin
      data_out_valid <= 1'b0;
    end else if (take && last) begin
      data_out_valid <= 1'b1;
    end else if (data_out_ready) begin
      data_out_valid <= 1'b0;
    end
  end

  // Datapath: output register, no reset.
  always_ff @(posedge clk) begin
    if (take && last) begin
      data_out <= sum;
    end
  end

endmodule

`resetall
