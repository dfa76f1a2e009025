/**
 * How long OpenBLAS's worker threads spin after a matmul before they sleep: OPENBLAS_THREAD_TIMEOUT is
 * log2 of the cycles (OpenBLAS's default, 28, spins for about a tenth of a second). Training runs
 * matmul after matmul and gains from the spin; a server interleaves them with HTTP, JSON and LanceDB
 * work on the same cores, which the spinning threads then take away. At 20 (about a million cycles)
 * they still spin across the gaps inside one forward pass and sleep between requests; on a 2-core VM
 * batched /v1/retrieve serves more requests per second (README, Serving over HTTP).
 * OpenBLAS reads the variable once, when LibTorch is loaded, so this module is imported before
 * anything that loads the native addon. A value the user set is kept.
 */
process.env.OPENBLAS_THREAD_TIMEOUT ??= '20';

