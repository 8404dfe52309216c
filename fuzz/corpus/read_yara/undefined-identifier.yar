rule wants_an_external
{
    condition:
        not_declared_anywhere == 1
}
