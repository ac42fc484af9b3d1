/*
 * noise.c
 *	  Exact discrete Laplace noise from a cryptographic generator.
 *
 * Why integers
 *	  Floating-point noise leaks. A Laplace sample computed as -b * log(u)
 *	  can take only some doubles, and which ones depend on the value the
 *	  noise is added to, so x + noise can reveal x exactly (Mironov, "On
 *	  significance of the least significant bits for differential privacy",
 *	  CCS 2012). This file therefore never adds a floating-point sample to a
 *	  value computed from the data. Every DP statistic is first an exact
 *	  integer: a count, or a sum of values quantized on a power-of-two grid
 *	  that depends only on the public bounds (dp_avg.c). The noise is an
 *	  integer Z with the discrete Laplace law
 *
 *		  P(Z = z) = (1 - p) / (1 + p) * p^|z|,	p = exp(-epsilon / sensitivity)
 *
 *	  which makes the release epsilon-DP for an integer statistic of that
 *	  sensitivity (the two-sided geometric mechanism).
 *
 * Why exact
 *	  SampleDiscreteLaplace() follows Algorithms 1 and 2 of Canonne, Kamath
 *	  and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS
 *	  2020). They use only integer arithmetic on uniform random integers and
 *	  need p as exp(-numerator / denominator) with integer parts, so no exp(),
 *	  log() or rounding touches the law. Epsilon arrives as an integer count
 *	  of nano-epsilon (ciam_privacy.h), so epsilon / sensitivity is such a
 *	  fraction exactly, and the epsilon charged is the epsilon used.
 *
 * Real-valued results
 *	  dp_avg divides a noisy integer sum by a noisy integer count. Anything
 *	  computed from DP outputs alone is DP (post-processing), so the floating
 *	  point of that division cannot reveal more than the two noisy integers.
 *
 * Randomness
 *	  Every random bit comes from pg_strong_random(), which is OpenSSL's
 *	  RAND_bytes() in Debian's build. Bytes are read in blocks into a buffer
 *	  owned by this process, and each byte is zeroed once used. The buffer
 *	  is discarded when the process id changes, so a forked child never
 *	  reuses bytes of its parent.
 *
 * NOTE: the sampler's running time depends on the noise drawn (never on the
 * data); a precise timer could learn something about the noise magnitude.
 */
#include "postgres.h"

#include "common/int.h"
#include "miscadmin.h"

#include "ciam_privacy.h"

#define RANDOM_BUFFER_SIZE 512

/* Draws beyond this magnitude are redrawn, which happens with probability below e^-1000 */
#define NOISE_MAGNITUDE_MAX (PG_INT64_MAX / 4)

typedef unsigned __int128 uint128_t;

static uint8 random_buffer[RANDOM_BUFFER_SIZE];
static int	random_used = RANDOM_BUFFER_SIZE;
static int	random_owner_pid = 0;

/* Copy nbytes fresh random bytes into dest, refilling the buffer as needed. */
static void
RandomBytes(void *dest, int nbytes)
{
	uint8	   *out = (uint8 *) dest;

	if (random_owner_pid != MyProcPid)
	{
		explicit_bzero(random_buffer, sizeof(random_buffer));
		random_used = RANDOM_BUFFER_SIZE;
		random_owner_pid = MyProcPid;
	}

	while (nbytes > 0)
	{
		int			chunk;

		if (random_used == RANDOM_BUFFER_SIZE)
		{
			if (!pg_strong_random(random_buffer, sizeof(random_buffer)))
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("could not generate random numbers for DP noise")));
			random_used = 0;
		}
		chunk = Min(nbytes, RANDOM_BUFFER_SIZE - random_used);
		memcpy(out, random_buffer + random_used, chunk);
		explicit_bzero(random_buffer + random_used, chunk);
		random_used += chunk;
		out += chunk;
		nbytes -= chunk;
	}
}

/* Return an integer drawn uniformly from [0, bound), by rejection. */
static uint128_t
UniformBelow(uint128_t bound)
{
	uint128_t	mask;
	int			bits = 0;

	Assert(bound > 0);
	if (bound == 1)
		return 0;

	/* Smallest all-ones mask covering bound - 1 */
	for (mask = bound - 1; mask != 0; mask >>= 1)
		bits++;
	mask = (bits == 128) ? ~(uint128_t) 0 : (((uint128_t) 1 << bits) - 1);

	for (;;)
	{
		uint128_t	candidate = 0;

		RandomBytes(&candidate, (bits + 7) / 8);
		candidate &= mask;
		if (candidate < bound)
			return candidate;
	}
}

/* Return true with probability numerator / denominator (numerator <= denominator). */
static bool
SampleBernoulli(uint128_t numerator, uint128_t denominator)
{
	return UniformBelow(denominator) < numerator;
}

/*
 * Return true with probability exp(-numerator / denominator), for a ratio in
 * [0, 1] (Canonne, Kamath and Steinke, Algorithm 1): the number of
 * consecutive successes of Bernoulli(gamma / k), k = 1, 2, ..., is even with
 * probability exp(-gamma).
 */
static bool
SampleBernoulliExpSmall(uint64 numerator, uint64 denominator)
{
	uint128_t	k = 1;

	Assert(numerator <= denominator);
	while (SampleBernoulli(numerator, (uint128_t) denominator * k))
		k++;
	return (k % 2) == 1;
}

/*
 * Draw Z with P(Z = z) proportional to exp(-|z| * numerator / denominator),
 * that is discrete Laplace noise of scale denominator / numerator (Canonne,
 * Kamath and Steinke, Algorithm 2). For epsilon-DP at sensitivity d, pass
 * numerator / denominator = epsilon / d.
 */
int64
SampleDiscreteLaplace(uint64 numerator, uint64 denominator)
{
	if (numerator == 0 || denominator == 0)
		elog(ERROR, "discrete Laplace parameters must be positive");

	for (;;)
	{
		uint64		u;
		uint64		v = 0;
		uint128_t	x;
		uint128_t	y;
		bool		negative;

		CHECK_FOR_INTERRUPTS();

		/* U uniform in [0, t), kept with probability exp(-U / t) */
		u = (uint64) UniformBelow(denominator);
		if (!SampleBernoulliExpSmall(u, denominator))
			continue;

		/* V geometric: count successes of Bernoulli(exp(-1)) */
		while (SampleBernoulliExpSmall(1, 1))
			v++;

		/* X = U + t V is geometric with ratio exp(-1 / t); Y = floor(X / s) */
		x = (uint128_t) u + (uint128_t) denominator * v;
		y = x / numerator;

		negative = SampleBernoulli(1, 2);
		if (negative && y == 0)
			continue;			/* otherwise zero would be drawn twice as often */
		if (y > (uint128_t) NOISE_MAGNITUDE_MAX)
			continue;
		return negative ? -(int64) y : (int64) y;
	}
}

/*
 * Add discrete Laplace noise for a count of sensitivity 1 and clamp the
 * result at zero, which is post-processing and cannot weaken privacy.
 */
int64
AddCountNoise(int64 count, int64 epsilon_nanos)
{
	int64		noise = SampleDiscreteLaplace((uint64) epsilon_nanos,
											  (uint64) CIAM_EPSILON_SCALE);
	int64		noisy;

	if (pg_add_s64_overflow(count, noise, &noisy))
		noisy = (noise > 0) ? PG_INT64_MAX : 0;
	return Max(noisy, 0);
}
