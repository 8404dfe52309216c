/*
 * Crafted rules for tests/unit/test_read_yara.c
 * rule commented_out { condition: true }
 */
import "pe"

// rule line_comment { condition: true }
private rule helper_private : internal
{
    condition:
        uint16(0) == 0x5a4d
}

rule tagged_rule : apt lazarus
{
    meta:
        description = "Detects a crafted thing; rule fake_in_string { }"
        author = "chainsweep tests"
        reference = "https://example.org/ref"
        score = 85
        actor = "Lazarus Group"
        malware_family = "ICONIC"
        id = "9f2a6e5c-0000-4000-8000-000000000001"
    strings:
        $a = "rule not_a_rule {" ascii
        $re = /evil"quote\/rule x/
    condition:
        helper_private and ($a or $re) and filesize \ 2 > 10
}

global rule
    split_decl
{
    condition:
        filesize < 10MB and filename != "x"
}

rule uses_externals { condition: filepath contains "temp" or extension == ".exe" or filetype == "pe" or owner == "root" }
