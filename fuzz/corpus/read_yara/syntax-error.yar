rule first_ok
{
    condition:
        true
}

rule second_broken
{
    strings:
        $a = "abc"
    condition:
        $a and and
}

rule third_ok { condition: false }
