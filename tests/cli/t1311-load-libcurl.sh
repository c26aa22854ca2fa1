# load's libcurl loop (net/load.c: https:// targets take it) run through t1300's whole case
# against the same fake server: the same timings within 1 ms, every fault with the same
# cause and words, the run's ends on time (QB_TEST_LOAD_LIBCURL sends http:// there too)
export QB_TEST_LOAD_LIBCURL=1
. "$(dirname "$0")/t1300-load-fake.sh"
