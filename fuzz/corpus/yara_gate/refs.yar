private rule p { condition: uint8(0) == 0x41 }
global rule g { condition: filesize < 1MB }
rule r1 { strings: $a = "AB" condition: p and $a }
rule r2 { strings: $a = "AB" condition: uint16be(0) == 0x4142 or $a }
rule r3 { strings: $a = "AB" condition: uint32be(0) == 0x41424344 and $a }
