rule u1 { strings: $a = "abc" condition: uint16(0) == 0x5a4d or $a }
rule u2 { strings: $a = "abc" condition: not uint16(0) == 0x5a4d and $a }
rule u3 { strings: $a = "abc" condition: uint16(0) & 0xffff == 0x5a4d and $a }
rule u4 { strings: $a = "abc" condition: filesize > 10 and $a }
rule u5 { strings: $a = "abc" condition: for any i in (0..1) : ( filesize < 10 ) and $a }
rule u6 { strings: $a = "abc" condition: uint16(0) == 0x5a4d and filepath matches /x/or $a }
rule u7 { strings: $a = "abc" condition: uint16(0) == 0x5a4d and filesize < 10or $a }
