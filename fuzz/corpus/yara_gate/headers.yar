import "pe"
rule mz_small : tag {
  meta:
    description = "crafted { } \" rule x {"
    score = 70
  strings:
    $a = "needle" ascii wide
    $b = { 4D 5A [2-4] ( 00 | 01 ) ?? // a } comment
           /* rule y { */ 9? }
    $c = /ne\/ed}le/i
  condition:
    uint16(0) == 0x5a4d and filesize < 200 and any of them
}
rule elf_or_mz {
  strings: $x = "xyz"
  condition: (uint32(0) == 0x464c457f or 0x5a4d == uint16(0)) and filesize <= 1KB and $x
}
