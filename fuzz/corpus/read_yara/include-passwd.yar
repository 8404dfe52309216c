include "/etc/passwd"

rule after_include { condition: true }
