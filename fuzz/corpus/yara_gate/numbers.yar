rule a { condition: uint16(0) == 0o55115 and filesize <= 0x100 }
rule c { condition: uint16(0) == 23117 and filesize < 1KB }
