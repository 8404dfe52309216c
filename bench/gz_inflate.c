/*
 * gzip inflaters side by side (bench/logs_dns.sh; docs/decisions.md): zlib
 * and ISA-L's igzip streaming 64 KiB at a time, libdeflate over the whole
 * buffer at once. Thread CPU time, three rounds.
 *
 *   gz_inflate FILE.gz DECOMPRESSED_BYTES
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
static double cpu(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int argc,char**argv){
	FILE*f=fopen(argv[1],"rb"); size_t n; unsigned char*in,*out; size_t on=(size_t)atol(argv[2]); double t0; int r;
	fseek(f,0,SEEK_END);n=ftell(f);fseek(f,0,SEEK_SET);in=malloc(n);if(fread(in,1,n,f)!=n)return 1;out=malloc(on+1024);
	unsigned char *chunk = malloc(65536);
	for(r=0;r<3;r++){
	/* zlib streaming, 64 KiB in and out */
	{ z_stream z; size_t tot=0; memset(&z,0,sizeof z); inflateInit2(&z,16+MAX_WBITS); t0=cpu(); z.next_in=in; z.avail_in=n;
	  for(;;){ z.next_out=chunk; z.avail_out=65536; int zr=inflate(&z,Z_NO_FLUSH); tot+=65536-z.avail_out; if(zr==Z_STREAM_END)break; if(zr!=Z_OK){printf("zerr %d\n",zr);break;} }
	  printf("zlib      %.3f s %zu bytes %.0f MB/s\n",cpu()-t0,tot,tot/1e6/(cpu()-t0)); inflateEnd(&z);}
	/* isa-l streaming */
	{ struct inflate_state st; size_t tot=0; isal_inflate_init(&st); st.crc_flag=ISAL_GZIP; t0=cpu(); st.next_in=in; st.avail_in=n;
	  for(;;){ st.next_out=chunk; st.avail_out=65536; int ir=isal_inflate(&st); tot+=65536-st.avail_out; if(ir!=ISAL_DECOMP_OK){printf("ierr %d\n",ir);break;} if(st.block_state==ISAL_BLOCK_FINISH)break; }
	  printf("isa-l     %.3f s %zu bytes %.0f MB/s\n",cpu()-t0,tot,tot/1e6/(cpu()-t0));}
	/* libdeflate whole buffer */
	{ struct libdeflate_decompressor*d=libdeflate_alloc_decompressor(); size_t got=0; t0=cpu();
	  int lr=libdeflate_gzip_decompress(d,in,n,out,on+1024,&got);
	  printf("libdeflate %.3f s %zu bytes %.0f MB/s (rc %d)\n",cpu()-t0,got,got/1e6/(cpu()-t0),lr); libdeflate_free_decompressor(d);}
	}
	return 0;}
