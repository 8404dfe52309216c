rule b1 { strings: $a = "abc" condition: $a and 100 > filesize }
rule b2 { strings: $a = "abc" condition: 64 >= filesize and $a }
rule b3 { strings: $a = "abc" condition: filesize < 2MB and filesize < 0x40 and $a }
rule b4 { strings: $a = "abc" condition: (filesize < 16 and $a) }
