/* moved to another file */
import "pe"
