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
    set stub::stage synth
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
    puts "ok $stub::project: $stub::count commands, [llength $stub::modules] modules, [llength $stub::ips] IP cores, stage $stub::stage"
}
