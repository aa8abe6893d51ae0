# Stand-in Vivado commands for `mase-hw vivado-check`: each checks its arguments and
# that every file it is given exists, records what a real run would create, and fails
# (exit 1, one line on stderr naming the command) on anything Vivado would reject or
# that the generated script gets out of order. Only the commands mase-hw's build
# scripts use are defined; any other is an error ("invalid command name").

namespace eval stub {
    variable project ""
    variable part ""
    variable modules {}
    variable instantiated {}
    variable ips {}
    variable stage none
    variable count 0
    variable files {}
    variable ipconf [dict create]
    variable xdc_ports {}
    variable checked 0
}

# Stand-in port lists of the black boxes the board top instantiates: port, direction,
# width (a Tcl expression over the instance's parameters, or the core's lane count $L).
# Aurora 64B/66B: PG074 (v12.0) "Port Descriptions" for a streaming, duplex UltraScale+
# core with shared logic in the core (SupportLevel 1), single-ended init_clk and DRP
# disabled. XPM: UG974 (UltraScale Architecture Libraries Guide), XPM_FIFO_AXIS and
# XPM_CDC_ASYNC_RST port and attribute tables.
set stub::blackbox(aurora_64b66b) {
    s_axi_tx_tdata in {64*$L}  s_axi_tx_tvalid in 1  s_axi_tx_tready out 1
    m_axi_rx_tdata out {64*$L}  m_axi_rx_tvalid out 1
    rxp in {$L}  rxn in {$L}  txp out {$L}  txn out {$L}
    gt_refclk1_p in 1  gt_refclk1_n in 1  gt_refclk1_out out 1
    hard_err out 1  soft_err out 1  channel_up out 1  lane_up out {$L}
    user_clk_out out 1  mmcm_not_locked_out out 1  sync_clk_out out 1
    reset_pb in 1  gt_rxcdrovrden_in in 1  power_down in 1  loopback in 3  pma_init in 1
    gt_pll_lock out 1  init_clk in 1  link_reset_out out 1  gt_powergood out {$L}
    gt_qpllclk_quad1_out out 1  gt_qpllrefclk_quad1_out out 1
    gt_qplllock_quad1_out out 1  gt_qpllrefclklost_quad1_out out 1
    sys_reset_out out 1  gt_reset_out out 1  tx_out_clk out 1
}
set stub::blackbox(xpm_fifo_axis) {
    s_aclk in 1  m_aclk in 1  s_aresetn in 1
    s_axis_tvalid in 1  s_axis_tready out 1  s_axis_tdata in {$TDATA_WIDTH}
    s_axis_tlast in 1  s_axis_tkeep in {$TDATA_WIDTH/8}  s_axis_tstrb in {$TDATA_WIDTH/8}
    s_axis_tid in {$TID_WIDTH}  s_axis_tdest in {$TDEST_WIDTH}  s_axis_tuser in {$TUSER_WIDTH}
    m_axis_tvalid out 1  m_axis_tready in 1  m_axis_tdata out {$TDATA_WIDTH}
    m_axis_tlast out 1  m_axis_tkeep out {$TDATA_WIDTH/8}  m_axis_tstrb out {$TDATA_WIDTH/8}
    m_axis_tid out {$TID_WIDTH}  m_axis_tdest out {$TDEST_WIDTH}  m_axis_tuser out {$TUSER_WIDTH}
    prog_full_axis out 1  wr_data_count_axis out {$WR_DATA_COUNT_WIDTH}  almost_full_axis out 1
    prog_empty_axis out 1  rd_data_count_axis out {$RD_DATA_COUNT_WIDTH}  almost_empty_axis out 1
    injectsbiterr_axis in 1  injectdbiterr_axis in 1  sbiterr_axis out 1  dbiterr_axis out 1
}
set stub::blackbox(xpm_cdc_async_rst) {
    src_arst in 1  dest_clk in 1  dest_arst out 1
}
# Parameters with their defaults, and the rule each value must meet.
set stub::bbparams(xpm_fifo_axis) {
    CDC_SYNC_STAGES 2 {$v >= 2 && $v <= 8}
    CLOCKING_MODE common_clock {$v in {common_clock independent_clock}}
    ECC_MODE no_ecc {$v in {no_ecc en_ecc}}
    FIFO_DEPTH 2048 {$v >= 16 && $v <= 4194304 && ($v & ($v - 1)) == 0}
    FIFO_MEMORY_TYPE auto {$v in {auto block distributed ultra}}
    PACKET_FIFO false {$v in {true false}}
    PROG_EMPTY_THRESH 10 {$v >= 5}
    PROG_FULL_THRESH 10 {$v >= 5 + $CDC_SYNC_STAGES && $v <= $FIFO_DEPTH - 5}
    RD_DATA_COUNT_WIDTH 1 {$v >= 1 && $v <= 23}
    RELATED_CLOCKS 0 {$v in {0 1}}
    SIM_ASSERT_CHK 0 {$v in {0 1}}
    TDATA_WIDTH 32 {$v >= 8 && $v <= 2048 && $v % 8 == 0}
    TDEST_WIDTH 1 {$v >= 1 && $v <= 32}
    TID_WIDTH 1 {$v >= 1 && $v <= 32}
    TUSER_WIDTH 1 {$v >= 1 && $v <= 4086}
    USE_ADV_FEATURES 1000 {[regexp {^[0-9A-Fa-f]{4}$} $v]}
    WR_DATA_COUNT_WIDTH 1 {$v >= 1 && $v <= 23}
}
set stub::bbparams(xpm_cdc_async_rst) {
    DEST_SYNC_FF 4 {$v >= 2 && $v <= 10}
    INIT_SYNC_FF 0 {$v in {0 1}}
    RST_ACTIVE_HIGH 0 {$v in {0 1}}
}
# The Aurora settings the port list above assumes.
set stub::aurora_fixed {
    interface_mode Streaming  dataflow_config Duplex  drp_mode Disabled
    SupportLevel 1  SINGLEEND_INITCLK true  flow_mode None
}

proc stub::fail {cmd msg} {
    puts stderr "vivado-check: $cmd: $msg"
    exit 1
}

# Parses `args` into a dict of -options (names in `flags` take no value) and a list of
# positional arguments; unknown options fail.
proc stub::parse {cmd arglist opts flags} {
    set d [dict create]
    set pos {}
    for {set i 0} {$i < [llength $arglist]} {incr i} {
        set a [lindex $arglist $i]
        if {[string index $a 0] eq "-"} {
            if {$a in $flags} {
                dict set d $a 1
            } elseif {$a in $opts} {
                incr i
                if {$i >= [llength $arglist]} { stub::fail $cmd "option $a needs a value" }
                dict set d $a [lindex $arglist $i]
            } else {
                stub::fail $cmd "unknown option $a"
            }
        } else {
            lappend pos $a
        }
    }
    incr stub::count
    return [list $d $pos]
}

proc stub::need_project {cmd} {
    if {$stub::project eq ""} { stub::fail $cmd "no project (create_project first)" }
}

proc stub::need_file {cmd f} {
    if {![file isfile $f]} { stub::fail $cmd "file $f does not exist" }
}

proc stub::check_part {cmd p} {
    if {![regexp {^x[a-z0-9]+-[a-z0-9]+-[0-9][a-zA-Z0-9-]*$} $p]} {
        stub::fail $cmd "part $p is not a Xilinx part name"
    }
}

proc create_project {args} {
    lassign [stub::parse create_project $args {-part} {-force -in_memory}] o pos
    if {[llength $pos] != 2} { stub::fail create_project "needs a name and a directory" }
    if {![dict exists $o -part]} { stub::fail create_project "needs -part" }
    stub::check_part create_project [dict get $o -part]
    set stub::project [lindex $pos 0]
    set stub::part [dict get $o -part]
}

proc current_project {args} {
    stub::need_project current_project
    return $stub::project
}

proc get_ips {args} {
    lassign [stub::parse get_ips $args {} {-quiet}] o pos
    foreach ip $pos {
        if {$ip ni $stub::ips} { stub::fail get_ips "no IP $ip" }
    }
    return $pos
}

proc set_property {args} {
    stub::need_project set_property
    lassign [stub::parse set_property $args {-dict} {-quiet}] o pos
    if {[dict exists $o -dict]} {
        set kv [dict get $o -dict]
        if {[llength $kv] % 2 != 0} { stub::fail set_property "-dict needs name/value pairs" }
        foreach {k v} $kv {
            if {![regexp {^CONFIG\.[A-Za-z_0-9]+$} $k]} { stub::fail set_property "IP property $k is not CONFIG.<name>" }
            if {$v eq ""} { stub::fail set_property "$k has an empty value" }
        }
        if {[llength $pos] != 1} { stub::fail set_property "-dict needs one object" }
        set obj [lindex $pos 0]
        if {$obj in $stub::ips} {
            dict for {k v} $kv { dict set stub::ipconf $obj [string range $k 7 end] $v }
        }
        return
    }
    if {[llength $pos] != 3} { stub::fail set_property "needs a property, a value and an object" }
    lassign $pos name value obj
    if {$name eq "board_part" && ![regexp {^[a-z.]+:[a-z0-9_]+:part0:[0-9.]+$} $value]} {
        stub::fail set_property "board_part $value is not vendor:board:part0:version"
    }
    if {$name eq "board_part" && $obj ne $stub::project} { stub::fail set_property "board_part set on $obj, not the project" }
}

proc read_verilog {args} {
    stub::need_project read_verilog
    lassign [stub::parse read_verilog $args {-library} {-sv}] o pos
    if {![dict exists $o -sv]} { stub::fail read_verilog "SystemVerilog sources need -sv" }
    if {[llength $pos] == 0} { stub::fail read_verilog "no files" }
    foreach f $pos {
        stub::need_file read_verilog $f
        set fh [open $f]
        set text [read $fh]
        close $fh
        foreach {_ m} [regexp -all -inline -line {^\s*module\s+([A-Za-z_][A-Za-z0-9_]*)} $text] {
            if {$m in $stub::modules} { stub::fail read_verilog "module $m defined twice ($f)" }
            lappend stub::modules $m
        }
        foreach {_ m} [regexp -all -inline -line {^\s*(mh_[A-Za-z0-9_]*)\s+(?:#\(|u_)} $text] {
            lappend stub::instantiated $m
        }
        lappend stub::files $f $text
    }
}

proc read_mem {args} {
    stub::need_project read_mem
    lassign [stub::parse read_mem $args {} {}] o pos
    if {[llength $pos] == 0} { stub::fail read_mem "no files" }
    foreach f $pos {
        if {[file extension $f] ne ".mem"} { stub::fail read_mem "$f is not a .mem file" }
        stub::need_file read_mem $f
    }
}

proc read_xdc {args} {
    stub::need_project read_xdc
    lassign [stub::parse read_xdc $args {} {-unmanaged}] o pos
    foreach f $pos {
        stub::need_file read_xdc $f
        set fh [open $f]
        foreach line [split [read $fh] "\n"] {
            set line [string trim $line]
            if {$line eq "" || [string index $line 0] eq "#"} { continue }
            set cmd [lindex [split $line] 0]
            if {$cmd ni {create_clock set_false_path set_property set_input_delay set_output_delay}} {
                stub::fail read_xdc "$f: $cmd is not an XDC command this check knows"
            }
            if {$cmd eq "set_property" && [lindex $line 1] eq "PACKAGE_PIN" && ![regexp {^[A-Z]{1,2}[0-9]{1,2}$} [lindex $line 2]]} {
                stub::fail read_xdc "$f: [lindex $line 2] is not a package pin"
            }
            if {$cmd eq "create_clock" && ![regexp {\-period ([0-9.]+)} $line _ p]} {
                stub::fail read_xdc "$f: create_clock without -period"
            }
            foreach {_ port} [regexp -all -inline {get_ports\s+(?:-quiet\s+)?([A-Za-z_][A-Za-z0-9_]*)} $line] {
                lappend stub::xdc_ports $port
            }
        }
        close $fh
    }
}

proc create_ip {args} {
    stub::need_project create_ip
    lassign [stub::parse create_ip $args {-name -vendor -library -version -module_name -dir} {}] o pos
    foreach k {-name -vendor -library -module_name} {
        if {![dict exists $o $k]} { stub::fail create_ip "needs $k" }
    }
    if {[dict get $o -name] ni {aurora_64b66b}} { stub::fail create_ip "IP [dict get $o -name] is not one mase-hw uses" }
    if {[dict get $o -vendor] ne "xilinx.com" || [dict get $o -library] ne "ip"} { stub::fail create_ip "the catalog IP is xilinx.com:ip" }
    set m [dict get $o -module_name]
    if {$m in $stub::ips} { stub::fail create_ip "IP $m created twice" }
    lappend stub::ips $m
}

proc generate_target {args} {
    lassign [stub::parse generate_target $args {} {-force}] o pos
    if {[llength $pos] != 2 || [lindex $pos 0] ni {all synthesis instantiation_template}} {
        stub::fail generate_target "needs a target and IPs"
    }
}

proc synth_ip {args} {
    lassign [stub::parse synth_ip $args {} {-force}] o pos
    if {[llength $pos] != 1} { stub::fail synth_ip "needs IPs" }
}

proc synth_design {args} {
    stub::need_project synth_design
    lassign [stub::parse synth_design $args {-top -part -mode -flatten_hierarchy} {}] o pos
    if {![dict exists $o -top]} { stub::fail synth_design "needs -top" }
    set top [dict get $o -top]
    if {$top ni $stub::modules} { stub::fail synth_design "top $top is not defined by any source read" }
    if {[dict exists $o -part] && [dict get $o -part] ne $stub::part} { stub::fail synth_design "part differs from the project's" }
    if {[dict exists $o -mode] && [dict get $o -mode] ni {default out_of_context}} { stub::fail synth_design "bad -mode" }
    foreach m $stub::instantiated {
        if {$m ni $stub::modules} { stub::fail synth_design "module $m is instantiated but no source defines it" }
    }
    foreach ip $stub::ips { stub::check_aurora $ip }
    set top_ports {}
    foreach {f text} $stub::files {
        stub::check_instances $f $text
        set in_top 0
        foreach line [split $text "\n"] {
            if {[regexp "^module $top \\(\$" $line]} { set in_top 1; continue }
            if {$in_top && [regexp {^\);} $line]} { set in_top 0 }
            if {$in_top && [regexp {^\s*(?:input|output)\s+wire\s+(?:\[\d+:0\]\s+)?([A-Za-z_][A-Za-z0-9_]*),?\s*$} $line _ p]} {
                lappend top_ports $p
            }
        }
    }
    if {[llength $top_ports] > 0} {
        foreach p $stub::xdc_ports {
            if {$p ni $top_ports} { stub::fail synth_design "the constraints name port $p, which $top does not have" }
        }
    }
    set stub::stage synth
}

# The Aurora core `ip`'s settings: the ones the port list assumes, a lane count, and a
# start lane, channel list, quad and reference clock that agree with each other.
proc stub::aurora_lanes {ip} {
    set c [dict get $stub::ipconf $ip]
    return [dict get $c C_AURORA_LANES]
}

proc stub::check_aurora {ip} {
    if {![dict exists $stub::ipconf $ip]} { stub::fail synth_design "IP $ip was never configured" }
    set c [dict get $stub::ipconf $ip]
    foreach {k v} $stub::aurora_fixed {
        if {![dict exists $c $k] || [dict get $c $k] ne $v} {
            stub::fail synth_design "IP $ip: CONFIG.$k must be $v (the port list checked is for that core)"
        }
    }
    foreach k {C_AURORA_LANES C_LINE_RATE C_REFCLK_FREQUENCY C_INIT_CLK C_START_QUAD C_START_LANE CHANNEL_ENABLE C_REFCLK_SOURCE} {
        if {![dict exists $c $k]} { stub::fail synth_design "IP $ip: CONFIG.$k is not set" }
    }
    if {![string is integer -strict [dict get $c C_AURORA_LANES]] || [dict get $c C_AURORA_LANES] != 1} {
        stub::fail synth_design "IP $ip: one lane expected"
    }
    foreach k {C_LINE_RATE C_REFCLK_FREQUENCY C_INIT_CLK} {
        if {![string is double -strict [dict get $c $k]] || [dict get $c $k] <= 0} { stub::fail synth_design "IP $ip: CONFIG.$k is not a frequency" }
    }
    set init [dict get $c C_INIT_CLK]
    if {$init < 50 || $init > 200} { stub::fail synth_design "IP $ip: init clock $init MHz outside 50-200 MHz (PG074)" }
    if {![regexp {^Quad_X(\d+)Y(\d+)$} [dict get $c C_START_QUAD] _ qx qy]} { stub::fail synth_design "IP $ip: C_START_QUAD [dict get $c C_START_QUAD] is not Quad_X<i>Y<j>" }
    if {![regexp {^X(\d+)Y(\d+)$} [dict get $c C_START_LANE] _ lx ly]} { stub::fail synth_design "IP $ip: C_START_LANE is not X<i>Y<j>" }
    if {$lx != $qx || $ly / 4 != $qy} { stub::fail synth_design "IP $ip: lane X${lx}Y$ly is not in quad X${qx}Y$qy" }
    if {[dict get $c CHANNEL_ENABLE] ne [dict get $c C_START_LANE]} { stub::fail synth_design "IP $ip: CHANNEL_ENABLE differs from C_START_LANE" }
    if {![regexp "^MGTREFCLK\[01\]_of_[dict get $c C_START_QUAD]\$" [dict get $c C_REFCLK_SOURCE]]} {
        stub::fail synth_design "IP $ip: C_REFCLK_SOURCE [dict get $c C_REFCLK_SOURCE] is not a reference clock of [dict get $c C_START_QUAD]"
    }
}

# Width of a connection expression: a sized literal, or a declared net (optionally
# inverted); -1 when it is neither.
proc stub::expr_width {e widths} {
    if {[regexp {^([0-9]+)'[bdh][0-9a-fA-F_]+$} $e _ w]} { return $w }
    if {[regexp {^~?([A-Za-z_][A-Za-z0-9_]*)$} $e _ n] && [dict exists $widths $n]} { return [dict get $widths $n] }
    return -1
}

# Checks every instance of a black box (an Aurora core created above, or an XPM macro)
# in `text`: each port of the stand-in list connected once, no other port, each
# connection as wide as the port, outputs on nets, parameters known and in range.
proc stub::check_instances {f text} {
    set widths [dict create]
    foreach line [split $text "\n"] {
        if {[regexp {^\s*(?:input|output|)\s*wire\s+(?:\[(\d+):0\]\s+)?([A-Za-z_][A-Za-z0-9_]*)[,;]?\s*$} $line _ msb n]} {
            dict set widths $n [expr {$msb eq "" ? 1 : $msb + 1}]
        }
    }
    set state none
    set lineno 0
    foreach line [split $text "\n"] {
        incr lineno
        switch $state {
            none {
                if {[regexp {^\s*([A-Za-z_][A-Za-z0-9_]*)\s+#\($} $line _ mod]} {
                    set params [dict create]; set conns [dict create]; set inst ""
                    set state [expr {[stub::is_blackbox $mod] ? "params" : "skip"}]
                } elseif {[regexp {^\s*([A-Za-z_][A-Za-z0-9_]*)\s+(u_[A-Za-z0-9_]*)\s*\($} $line _ mod inst]} {
                    set params [dict create]; set conns [dict create]
                    set state [expr {[stub::is_blackbox $mod] ? "ports" : "skip"}]
                }
            }
            skip {
                if {[regexp {^\s*\);} $line]} { set state none }
            }
            params {
                if {[regexp {^\s*\.([A-Za-z_][A-Za-z0-9_]*)\((.*)\),?$} $line _ k v]} {
                    dict set params $k [string trim $v "\""]
                } elseif {[regexp {^\s*\)\s*(u_[A-Za-z0-9_]*)\s*\($} $line _ inst]} {
                    set state ports
                } else {
                    stub::fail synth_design "$f:$lineno: cannot read the parameters of $mod"
                }
            }
            ports {
                if {[regexp {^\s*\.([A-Za-z_][A-Za-z0-9_]*)\((.*)\),?$} $line _ k v]} {
                    if {[dict exists $conns $k]} { stub::fail synth_design "$f: $inst: port $k connected twice" }
                    dict set conns $k $v
                } elseif {[regexp {^\s*\);} $line]} {
                    stub::check_instance $f $mod $inst $params $conns $widths
                    set state none
                } else {
                    stub::fail synth_design "$f:$lineno: cannot read the ports of $inst"
                }
            }
        }
    }
}

proc stub::is_blackbox {mod} {
    return [expr {$mod in $stub::ips || [info exists stub::blackbox($mod)]}]
}

proc stub::check_instance {f mod inst params conns widths} {
    if {$mod in $stub::ips} {
        set kind aurora_64b66b
        set L [stub::aurora_lanes $mod]
        if {[dict size $params] > 0} { stub::fail synth_design "$f: $inst: an IP core takes no parameters" }
    } else {
        set kind $mod
        foreach {k def rule} $stub::bbparams($kind) { set $k $def }
        dict for {k v} $params {
            if {[lsearch -exact [dict keys [stub::param_defaults $kind]] $k] < 0} { stub::fail synth_design "$f: $inst: $kind has no parameter $k" }
            set $k $v
        }
        foreach {k def rule} $stub::bbparams($kind) {
            set v [set $k]
            if {[catch {expr $rule} ok] || !$ok} { stub::fail synth_design "$f: $inst: $k = $v is out of range for $kind" }
        }
    }
    set names {}
    foreach {port dir w} $stub::blackbox($kind) { lappend names $port }
    foreach k [dict keys $conns] {
        if {$k ni $names} { stub::fail synth_design "$f: $inst: $kind has no port $k" }
    }
    foreach {port dir w} $stub::blackbox($kind) {
        if {![dict exists $conns $port]} { stub::fail synth_design "$f: $inst: port $port of $kind is not connected" }
        set want [expr $w]
        set e [dict get $conns $port]
        set got [stub::expr_width $e $widths]
        if {$got < 0} { stub::fail synth_design "$f: $inst: $port is connected to `$e`, neither a declared net nor a sized literal" }
        if {$got != $want} { stub::fail synth_design "$f: $inst: $port is $want bits in $kind, `$e` is $got" }
        if {$dir eq "out" && ![regexp {^[A-Za-z_][A-Za-z0-9_]*$} $e]} { stub::fail synth_design "$f: $inst: output $port must drive a net" }
    }
    incr stub::checked
}

proc stub::param_defaults {kind} {
    set d [dict create]
    foreach {k def rule} $stub::bbparams($kind) { dict set d $k $def }
    return $d
}

proc stub::step {cmd from to} {
    if {$stub::stage ne $from} { stub::fail $cmd "runs after $from, not after $stub::stage" }
    set stub::stage $to
}

proc opt_design {args} { stub::parse opt_design $args {} {}; stub::step opt_design synth opt }
proc place_design {args} { stub::parse place_design $args {} {}; stub::step place_design opt placed }
proc route_design {args} { stub::parse route_design $args {} {}; stub::step route_design placed routed }

proc write_checkpoint {args} {
    lassign [stub::parse write_checkpoint $args {} {-force}] o pos
    if {$stub::stage eq "none"} { stub::fail write_checkpoint "nothing synthesized" }
    if {[llength $pos] != 1 || [file extension [lindex $pos 0]] ne ".dcp"} { stub::fail write_checkpoint "needs one .dcp file" }
}

foreach r {report_utilization report_timing_summary report_power} {
    proc $r {args} [string map [list @R@ $r] {
        lassign [stub::parse @R@ $args {-file} {}] o pos
        if {$stub::stage ne "routed"} { stub::fail @R@ "runs on the routed design" }
        if {![dict exists $o -file]} { stub::fail @R@ "needs -file" }
    }]
}

proc write_bitstream {args} {
    lassign [stub::parse write_bitstream $args {} {-force}] o pos
    if {$stub::stage ne "routed"} { stub::fail write_bitstream "runs on the routed design" }
    if {[llength $pos] != 1 || [file extension [lindex $pos 0]] ne ".bit"} { stub::fail write_bitstream "needs one .bit file" }
    set stub::stage bitstream
}

proc stub::done {} {
    if {$stub::stage ni {routed bitstream}} { stub::fail build "ended at stage $stub::stage, not routed" }
    puts "ok $stub::project: $stub::count commands, [llength $stub::modules] modules, [llength $stub::ips] IP cores, $stub::checked black-box instances checked, stage $stub::stage"
}
