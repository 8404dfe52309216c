rule crlf_one
{
    condition:
        true
}

rule crlf_two { condition: false }