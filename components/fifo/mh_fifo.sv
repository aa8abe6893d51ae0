`default_nettype none

// mh_fifo: synchronous first-in first-out buffer on one stream.
//
// Beats are written into a `DEPTH`-entry memory (no reset, one write port,
// one read port read through a register, so it infers block RAM or LUTRAM)
// and read in order into the output register that drives `data_out`. The read
// enable is also the output register's load enable, so that register holds
// its beat while `data_out` is stalled and no extra skid stage is needed.
// `DEPTH` may be any integer >= 2 (pointers wrap explicitly at DEPTH - 1).
//
// Capacity: DEPTH + 1 beats (DEPTH in the memory plus one in the output
// register). `data_in_ready` is low exactly when the memory holds DEPTH
// beats.
//
// Does not: flush, report a fill level, bypass the memory (an empty FIFO
// still takes two edges), cross clock domains, or accept a beat in the same
// cycle its memory becomes non-full (ready is registered, so after the memory
// has been full the input resumes one cycle after the first read).
//
// Registered: `data_in_ready`, `data_out_valid` and `data_out` come straight
// from registers. No combinational path from `data_out_ready` to
// `data_in_ready`, nor from `data_in_valid`/`data_in` to any output.
// (`data_out_ready` drives the internal read enable only.)
// Latency 2 when empty: a beat taken on edge t is written on edge t, read
// into the output register on edge t+1, and can leave on edge t+2.
// II 1: one beat in and one beat out per cycle, sustained, while the output
// is not backpressured.
// Reset clears pointers, count and valid bits; the memory and the output
// data register are not reset. `data_in_ready` is high during and right after
// reset (drive `data_in_valid` low while `rst` is high).

module mh_fifo #(
  parameter int DATA_WIDTH = 32,  // beat width, bits (>= 1)
  parameter int DEPTH      = 16   // memory entries (>= 2); capacity is DEPTH + 1 beats
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

  // Memory address width.
  localparam int ADDR_WIDTH = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  // Width of the memory fill count 0..DEPTH.
  localparam int COUNT_WIDTH = $clog2(DEPTH + 1);
  // Last memory address, where the pointers wrap.
  localparam logic [ADDR_WIDTH-1:0] LAST_ADDR = ADDR_WIDTH'(DEPTH - 1);
  // Fill count of a full memory.
  localparam logic [COUNT_WIDTH-1:0] FULL_COUNT = COUNT_WIDTH'(DEPTH);

  logic [DATA_WIDTH-1:0]  mem [DEPTH];  // storage, not reset
  logic [ADDR_WIDTH-1:0]  wr_addr_q;    // next address to write
  logic [ADDR_WIDTH-1:0]  rd_addr_q;    // next address to read
  logic [COUNT_WIDTH-1:0] count_q;      // beats in the memory (not counting the output register)
  logic                   in_ready_q;   // registered (count != FULL_COUNT)
  logic [DATA_WIDTH-1:0]  out_data_q;   // output register, not reset
  logic                   out_valid_q;  // out_data holds a beat

  logic                   push;         // a beat is written this edge
  logic                   pop;          // a beat is read into out_data this edge
  logic [COUNT_WIDTH-1:0] count_d;

  // push never meets pop at the same address: pop needs count > 0 and push
  // needs count < DEPTH, and the pointers are equal only at 0 or DEPTH.
  assign push    = data_in_valid && in_ready_q;
  assign pop     = (count_q != '0) && (!out_valid_q || data_out_ready);
  assign count_d = count_q + COUNT_WIDTH'(push) - COUNT_WIDTH'(pop);

  // Control (reset).
  always_ff @(posedge clk) begin
    if (rst) begin
      wr_addr_q   <= '0;
      rd_addr_q   <= '0;
      count_q     <= '0;
      in_ready_q  <= 1'b1;
      out_valid_q <= 1'b0;
    end else begin
      if (push) begin
        wr_addr_q <= (wr_addr_q == LAST_ADDR) ? '0 : wr_addr_q + 1'b1;
      end
      if (pop) begin
        rd_addr_q <= (rd_addr_q == LAST_ADDR) ? '0 : rd_addr_q + 1'b1;
      end
      count_q    <= count_d;
      in_ready_q <= (count_d != FULL_COUNT);
      if (pop) begin
        out_valid_q <= 1'b1;
      end else if (data_out_ready) begin
        out_valid_q <= 1'b0;
      end
    end
  end

  // Memory write port.
  always_ff @(posedge clk) begin
    if (push) begin
      mem[wr_addr_q] <= data_in;
    end
  end

  // Memory read port, registered, with read enable.
  always_ff @(posedge clk) begin
    if (pop) begin
      out_data_q <= mem[rd_addr_q];
    end
  end

  assign data_in_ready  = in_ready_q;
  assign data_out       = out_data_q;
  assign data_out_valid = out_valid_q;

endmodule

`resetall
