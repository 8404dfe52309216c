rule Benign_3CX_Marker : test
{
	meta:
		description = "crafted benign test marker"
		score = 80
	strings:
		$m = "CHAINSWEEP-BENIGN-3CX-MARKER"
	condition:
		$m
}
