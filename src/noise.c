/*
 * noise.c
 *	  Exact discrete Laplace and discrete Gaussian noise from a
 *	  cryptographic generator, the calibration of the Gaussian, and the
 *	  noise of one release (DpIntegerNoise) with its charge (DpSetCharge).
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
 *	  dp_sum releases its noisy integer times the grid step, a power of two,
 *	  so the result is exactly a function of the noisy integer. dp_avg
 *	  divides a noisy integer sum by a noisy integer count. Anything
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

#include <math.h>
#include <gmp.h>

#include "common/int.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "ciam_privacy.h"

#define RANDOM_BUFFER_SIZE 512

/*
 * Draws beyond this magnitude are redrawn. Scales are at most
 * CIAM_NOISE_SCALE_MAX, so that happens with probability below e^-576.
 */
#define NOISE_MAGNITUDE_MAX (PG_INT64_MAX / 4)


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
 * probability exp(-gamma). The denominator is below 2^100, so
 * denominator * k cannot overflow before k passes 2^27, which has
 * probability below 1 / (2^27)!.
 */
static bool
SampleBernoulliExpSmall(uint128_t numerator, uint128_t denominator)
{
	uint128_t	k = 1;

	Assert(numerator <= denominator);
	while (SampleBernoulli(numerator, denominator * k))
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
	return SampleDiscreteLaplaceWide(numerator, denominator);
}

/* The same, for a scale given by 128-bit integers, the denominator below 2^100. */
int64
SampleDiscreteLaplaceWide(uint128_t numerator, uint128_t denominator)
{
	if (numerator == 0 || denominator == 0)
		elog(ERROR, "discrete Laplace parameters must be positive");
	if (denominator >> 100 != 0)
		elog(ERROR, "discrete Laplace scale is too large");

	for (;;)
	{
		uint128_t	u;
		uint64		v = 0;
		uint128_t	x;
		uint128_t	y;
		bool		negative;

		CHECK_FOR_INTERRUPTS();

		/* U uniform in [0, t), kept with probability exp(-U / t) */
		u = UniformBelow(denominator);
		if (!SampleBernoulliExpSmall(u, denominator))
			continue;

		/* V geometric: count successes of Bernoulli(exp(-1)) */
		while (SampleBernoulliExpSmall(1, 1))
			v++;

		/* X = U + t V is geometric with ratio exp(-1 / t); Y = floor(X / s) */
		if (v >= ((uint64) 1 << 27))
			continue;			/* probability below exp(-2^27) */
		x = u + denominator * v;
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

/*
 * The discrete Gaussian
 *	  SampleDiscreteGaussian() draws Z with P(Z = z) proportional to
 *	  exp(-z^2 / (2 sigma^2)) over the integers, by Algorithm 3 of Canonne,
 *	  Kamath and Steinke: draw Y from a discrete Laplace of scale
 *	  t = floor(sigma) + 1 and keep it with probability
 *	  exp(-(|Y| - sigma^2 / t)^2 / (2 sigma^2)). sigma^2 is taken as the
 *	  exact rational value a / b of the double sigma * sigma, and the
 *	  acceptance test is done on GMP integers, so no rounding enters the law.
 *
 * NOTE: GMP allocates with malloc(). This file zeroes the limbs of each
 * number before clearing it, but GMP may free an older, smaller buffer of a
 * number on reallocation without zeroing it.
 */

/* Zero and free a GMP integer. */
static void
WipeMpz(mpz_t value)
{
	size_t		limbs = mpz_size(value);

	if (limbs > 0)
		explicit_bzero(mpz_limbs_modify(value, limbs), limbs * sizeof(mp_limb_t));
	mpz_clear(value);
}

/* Set result to an integer drawn uniformly from [0, bound), bound > 0. */
static void
UniformBelowMpz(mpz_t result, const mpz_t bound)
{
	size_t		bits = mpz_sizeinbase(bound, 2);
	size_t		nbytes = (bits + 7) / 8;
	uint8	   *bytes = palloc(nbytes);

	for (;;)
	{
		RandomBytes(bytes, (int) nbytes);
		if (bits % 8 != 0)
			bytes[0] &= (uint8) ((1 << (bits % 8)) - 1);
		mpz_import(result, nbytes, 1, 1, 0, 0, bytes);
		if (mpz_cmp(result, bound) < 0)
			break;
	}
	explicit_bzero(bytes, nbytes);
	pfree(bytes);
}

/* Return true with probability exp(-numerator / denominator), a ratio in [0, 1]. */
static bool
BernoulliExpSmallMpz(const mpz_t numerator, const mpz_t denominator)
{
	mpz_t		scaled;
	mpz_t		draw;
	unsigned long k = 1;
	bool		success;

	mpz_init(scaled);
	mpz_init(draw);
	for (;;)
	{
		mpz_mul_ui(scaled, denominator, k);
		UniformBelowMpz(draw, scaled);
		if (mpz_cmp(draw, numerator) >= 0)
			break;
		k++;
	}
	success = (k % 2) == 1;
	WipeMpz(draw);
	WipeMpz(scaled);
	return success;
}

/* Return true with probability exp(-numerator / denominator), any ratio >= 0. */
static bool
BernoulliExpMpz(const mpz_t numerator, const mpz_t denominator)
{
	mpz_t		whole;
	mpz_t		rest;
	bool		success = true;

	mpz_init(whole);
	mpz_init(rest);
	mpz_fdiv_qr(whole, rest, numerator, denominator);
	if (!mpz_fits_ulong_p(whole))
		success = false;		/* exp(-2^64) */
	else
	{
		unsigned long n = mpz_get_ui(whole);
		unsigned long i;

		/* exp(-n - r) = exp(-1)^n exp(-r) */
		for (i = 0; i < n && success; i++)
			success = SampleBernoulliExpSmall(1, 1);
		if (success)
			success = BernoulliExpSmallMpz(rest, denominator);
	}
	WipeMpz(rest);
	WipeMpz(whole);
	return success;
}

/* Set an mpz from a uint128. */
static void
MpzSetU128(mpz_t result, uint128_t value)
{
	mpz_set_ui(result, (unsigned long) (uint64) (value >> 64));
	mpz_mul_2exp(result, result, 64);
	mpz_add_ui(result, result, (unsigned long) (uint64) value);
}

/* Return true with probability exp(-numerator / denominator). */
bool
SampleBernoulliExpRational(uint128_t numerator, uint128_t denominator)
{
	mpz_t		num;
	mpz_t		den;
	bool		success;

	if (denominator == 0)
		elog(ERROR, "Bernoulli parameter must have a positive denominator");
	mpz_init(num);
	mpz_init(den);
	MpzSetU128(num, numerator);
	MpzSetU128(den, denominator);
	success = BernoulliExpMpz(num, den);
	WipeMpz(num);
	WipeMpz(den);
	return success;
}

/* Draw an index uniformly from [0, bound). */
bool
SampleUniformIndex(uint64 bound, uint64 *index)
{
	if (bound == 0)
		return false;
	*index = (uint64) UniformBelow(bound);
	return true;
}

/* A uniformly random 64-bit priority, for choosing random subsets. */
uint64
RandomPriority(void)
{
	uint64		value;

	RandomBytes(&value, sizeof(value));
	return value;
}

int64
SampleDiscreteGaussian(double sigma)
{
	double		variance;
	mpq_t		sigma2;
	mpz_t		a;
	mpz_t		b;
	mpz_t		t;
	mpz_t		numerator;
	mpz_t		denominator;
	mpz_t		term;
	uint64		scale;
	int64		result;

	if (!(sigma > 0) || sigma > CIAM_NOISE_SCALE_MAX)
		elog(ERROR, "discrete Gaussian sigma %g is out of range", sigma);

	/* sigma^2, rounded up so that the noise is never below the calibration */
	variance = sigma * sigma;
	if (sqrt(variance) < sigma)
		variance = nextafter(variance, INFINITY);

	mpq_init(sigma2);
	mpq_set_d(sigma2, variance);
	mpz_init_set(a, mpq_numref(sigma2));
	mpz_init_set(b, mpq_denref(sigma2));
	mpq_clear(sigma2);

	/* t = floor(sigma) + 1 = floor(sqrt(floor(a / b))) + 1 */
	mpz_init(t);
	mpz_fdiv_q(t, a, b);
	mpz_sqrt(t, t);
	mpz_add_ui(t, t, 1);
	if (!mpz_fits_ulong_p(t))
		elog(ERROR, "discrete Gaussian sigma %g is out of range", sigma);
	scale = mpz_get_ui(t);

	/* denominator = 2 a b t^2, the same for every candidate */
	mpz_init(denominator);
	mpz_mul(denominator, a, b);
	mpz_mul(denominator, denominator, t);
	mpz_mul(denominator, denominator, t);
	mpz_mul_2exp(denominator, denominator, 1);
	mpz_init(numerator);
	mpz_init(term);

	for (;;)
	{
		int64		y;
		uint64		magnitude;
		bool		accept;

		CHECK_FOR_INTERRUPTS();
		y = SampleDiscreteLaplace(1, scale);
		magnitude = (uint64) (y < 0 ? -y : y);

		/* numerator = (|Y| t b - a)^2 */
		mpz_set_ui(term, (unsigned long) magnitude);
		mpz_mul(term, term, t);
		mpz_mul(term, term, b);
		mpz_sub(term, term, a);
		mpz_mul(numerator, term, term);
		accept = BernoulliExpMpz(numerator, denominator);
		if (accept)
		{
			result = y;
			break;
		}
	}

	WipeMpz(term);
	WipeMpz(numerator);
	WipeMpz(denominator);
	WipeMpz(t);
	WipeMpz(b);
	WipeMpz(a);
	return result;
}

static double DiscreteGaussianDeltaBound(double epsilon, double sigma, uint64 sensitivity);

/* Standard normal distribution function, from erfc() for accuracy in the tails */
static double
NormalCdf(double x)
{
	return 0.5 * erfc(-x / M_SQRT2);
}

/*
 * Compute the delta of the Gaussian mechanism with standard deviation sigma
 * at sensitivity s and the given epsilon (Balle and Wang 2018, Theorem 8).
 * The formula is
 * Phi(s / (2 sigma) - epsilon sigma / s) - e^epsilon Phi(-s / (2 sigma) - epsilon sigma / s).
 */
static double
GaussianDelta(double epsilon, double sigma, double sensitivity)
{
	double		a = sensitivity / (2.0 * sigma);
	double		c = epsilon * sigma / sensitivity;

	return NormalCdf(a - c) - exp(epsilon) * NormalCdf(-a - c);
}

/*
 * The smallest sigma at which the Gaussian mechanism is (epsilon, delta)-DP
 * at L2 sensitivity s: the calibration of the analytic Gaussian mechanism
 * (Balle and Wang, "Improving the Gaussian mechanism for differential
 * privacy", ICML 2018). Their delta is exact and decreases with sigma, so
 * bisection on sigma finds it. The upper end of the last bracket is
 * returned because it always meets the target. Unlike the classic
 * sigma = s sqrt(2 ln(1.25 / delta)) / epsilon, it is valid for every epsilon.
 */
double
AnalyticGaussianSigma(double epsilon, double delta, double sensitivity)
{
	double		low = 0;
	double		high = sensitivity;
	int			i;

	if (!(epsilon > 0) || !(delta > 0) || !(delta < 1) || !(sensitivity > 0))
		elog(ERROR, "invalid Gaussian calibration: epsilon %g, delta %g, sensitivity %g",
			 epsilon, delta, sensitivity);
	while (GaussianDelta(epsilon, high, sensitivity) > delta)
	{
		low = high;
		high *= 2.0;
		if (high > 1e300)
			elog(ERROR, "Gaussian calibration does not converge");
	}
	for (i = 0; i < 200 && high - low > high * 1e-15; i++)
	{
		double		middle = low + (high - low) / 2.0;

		if (GaussianDelta(epsilon, middle, sensitivity) > delta)
			low = middle;
		else
			high = middle;
	}
	return high;
}

/*
 * Bounds on the tail sum S(m) = sum over integers x >= m of
 * exp(-x^2 / (2 sigma^2)), for m >= 0. Lower: the integral from m. Upper:
 * the integral from m - 1/2 where the function is convex (x >= sigma),
 * else the first term plus the integral from m.
 */
static double
GaussianIntegralFrom(double x, double sigma)
{
	return sigma * sqrt(M_PI / 2.0) * erfc(x / (sigma * M_SQRT2));
}

static double
TailSumUpper(double m, double sigma)
{
	if (m - 0.5 >= sigma)
		return GaussianIntegralFrom(m - 0.5, sigma);
	return exp(-m * m / (2.0 * sigma * sigma)) + GaussianIntegralFrom(m, sigma);
}

/*
 * Sum of exp(-x^2 / (2 sigma^2)) over the integers x >= m (m >= 0), term by
 * term until the terms no longer change the sum.
 */
static double
TailSumExact(double m, double sigma)
{
	double		sum = 0;
	double		x;

	for (x = m;; x += 1.0)
	{
		double		term = exp(-x * x / (2.0 * sigma * sigma));

		sum += term;
		if (term <= sum * 1e-18)
			break;
	}
	return sum;
}

/*
 * The delta of the discrete Gaussian at integer sensitivity s: Canonne,
 * Kamath and Steinke (Theorem 7) give it exactly as
 * P[Y > epsilon sigma^2 / s - s / 2] - e^epsilon P[Y > epsilon sigma^2 / s + s / 2]
 * for Y discrete Gaussian. For sigma up to 10^4 the sums are computed term
 * by term, with a margin for rounding. Above, an upper bound: the
 * normalizing sum lies between sqrt(2 pi) sigma and
 * sqrt(2 pi) sigma (1 + 2 q / (1 - q)), q = exp(-2 pi^2 sigma^2) (Poisson
 * summation), and the tails are bounded as above. The bound shifts the
 * tails by at most one, which for such sigma changes delta by a factor
 * near exp(epsilon / s), close to 1 since s is then large or epsilon small.
 */
static double
DiscreteGaussianDelta(double epsilon, double sigma, uint64 sensitivity)
{
	if (sigma <= 1e4)
	{
		double		s = (double) sensitivity;
		double		a1 = epsilon * sigma * sigma / s - s / 2.0;
		double		a2 = epsilon * sigma * sigma / s + s / 2.0;
		double		norm;
		double		tail1;
		double		tail2;
		double		delta;

		if (a1 < 0)
			return 1.0;
		norm = 2.0 * TailSumExact(0, sigma) - 1.0;
		tail1 = TailSumExact(floor(a1) + 1.0, sigma) / norm;
		tail2 = TailSumExact(floor(a2) + 1.0, sigma) / norm;
		delta = tail1 - exp(epsilon) * tail2;
		return delta + (tail1 + exp(epsilon) * tail2) * 1e-12 + 1e-300;
	}
	return DiscreteGaussianDeltaBound(epsilon, sigma, sensitivity);
}

/* The upper bound used above sigma = 10^4. */
static double
DiscreteGaussianDeltaBound(double epsilon, double sigma, uint64 sensitivity)
{
	double		s = (double) sensitivity;
	double		a1 = epsilon * sigma * sigma / s - s / 2.0;
	double		a2 = epsilon * sigma * sigma / s + s / 2.0;
	double		q = exp(-2.0 * M_PI * M_PI * sigma * sigma);
	double		norm_low = sqrt(2.0 * M_PI) * sigma;
	double		norm_high = norm_low * (1.0 + 2.0 * q / (1.0 - q));
	double		m1 = floor(a1) + 1.0;
	double		m2 = floor(a2) + 1.0;
	double		delta;

	if (m1 < 0 || sigma < 0.5)
		return 1.0;
	delta = TailSumUpper(m1, sigma) / norm_low -
		exp(epsilon) * GaussianIntegralFrom(m2, sigma) / norm_high;
	/* margin for the rounding of erfc() and exp() */
	return delta * (1.0 + 1e-9) + 1e-300;
}

/*
 * The sigma of a one-dimensional discrete Gaussian that is
 * (epsilon, delta)-DP at integer sensitivity s: the analytic Gaussian's
 * sigma, raised in steps of 0.01 % until the bound above meets delta.
 */
double
DiscreteGaussianSigma(double epsilon, double delta, uint64 sensitivity)
{
	double		sigma = AnalyticGaussianSigma(epsilon, delta, (double) sensitivity);
	int			i;

	for (i = 0; i < 200000; i++)
	{
		if (DiscreteGaussianDelta(epsilon, sigma, sensitivity) <= delta)
			return sigma;
		sigma *= 1.0001;
	}
	elog(ERROR, "discrete Gaussian calibration does not converge");
	return 0;					/* keep the compiler quiet */
}

/*
 * The noise sigma, in grid units, for one of the "parts" statistics that
 * share a release's epsilon, of L1 (and per-group) sensitivity s, for a
 * unit that reaches max_groups groups.
 *   Approximate accounting: each of the parts * max_groups one-dimensional
 *   releases a unit touches is (epsilon, delta) / (parts * max_groups), and
 *   they compose by adding.
 *   zCDP accounting: each part is a vector over the groups of L2
 *   sensitivity s sqrt(max_groups), calibrated by the analytic Gaussian at
 *   (epsilon, delta) / parts; it is rho-zCDP with rho = 1 / (2 (sigma / L2)^2),
 *   which DpSetCharge() charges.
 */
double
DpNoiseSigma(const DpParams *params, uint64 sensitivity, int parts)
{
	DpParams   *cache = unconstify(DpParams *, params);
	double		epsilon = EpsilonFromNanos(params->epsilon_nanos);
	double		delta = DeltaFromAttos(params->delta_attos);
	double		sigma;
	int			i;

	for (i = 0; i < (int) lengthof(cache->sigma_value); i++)
	{
		if (cache->sigma_parts[i] == parts &&
			cache->sigma_sensitivity[i] == sensitivity)
			return cache->sigma_value[i];
	}

	if (params->zcdp)
	{
		/* sigma / L2 sensitivity as DpSetCharge() computes it, rounded up */
		double		ratio = AnalyticGaussianSigma(epsilon / parts, delta / parts, 1.0);

		sigma = ratio * (double) sensitivity * sqrt((double) params->max_groups) *
			(1.0 + 1e-12);
	}
	else
	{
		double		share = (double) parts * params->max_groups;

		sigma = DiscreteGaussianSigma(epsilon / share, delta / share, sensitivity);
	}

	for (i = 0; i < (int) lengthof(cache->sigma_value); i++)
	{
		if (cache->sigma_parts[i] == 0)
		{
			cache->sigma_parts[i] = parts;
			cache->sigma_sensitivity[i] = sensitivity;
			cache->sigma_value[i] = sigma;
			break;
		}
	}
	return sigma;
}

/* The Laplace scale in grid units: sensitivity * max_groups * parts / epsilon. */
static double
LaplaceScale(const DpParams *params, uint64 sensitivity, int parts)
{
	return (double) sensitivity * params->max_groups * parts /
		EpsilonFromNanos(params->epsilon_nanos);
}

/*
 * Draw the noise for one integer statistic of a release: one of "parts"
 * statistics that share the release's epsilon (and delta), of sensitivity
 * s per group in grid units (already multiplied by max_rows). A zero
 * sensitivity is raised to 1, so equal bounds still draw noise.
 */
int64
DpIntegerNoise(const DpParams *params, uint64 sensitivity, int parts)
{
	sensitivity = Max(sensitivity, 1);
	if (params->mechanism == DP_LAPLACE)
	{
		uint128_t	denominator = (uint128_t) CIAM_EPSILON_SCALE * sensitivity *
			(uint64) params->max_groups * (uint64) parts;

		if (LaplaceScale(params, sensitivity, parts) > CIAM_NOISE_SCALE_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the noise of this DP aggregate would be too large"),
					 errhint("Raise epsilon, or narrow the bounds or the contribution limits.")));
		return SampleDiscreteLaplaceWide((uint64) params->epsilon_nanos, denominator);
	}
	return SampleDiscreteGaussian(DpNoiseSigma(params, sensitivity, parts));
}

/* Set the charge of one release of a validated DP aggregate call. */
void
DpSetCharge(DpParams *params, int parts)
{
	memset(&params->charge, 0, sizeof(DpCharge));
	if (params->mechanism == DP_GAUSSIAN && params->zcdp)
	{
		double		epsilon = EpsilonFromNanos(params->epsilon_nanos) / parts;
		double		delta = DeltaFromAttos(params->delta_attos) / parts;
		double		ratio = AnalyticGaussianSigma(epsilon, delta, 1.0);
		double		rho = parts / (2.0 * ratio * ratio);

		params->charge.rho_nanos = (int64) ceil(rho * (double) CIAM_EPSILON_SCALE);
		return;
	}
	params->charge.epsilon_nanos = params->epsilon_nanos;
	params->charge.delta_attos = params->delta_attos;
}

/* Inverse of the standard normal distribution function, by bisection. */
static double
NormalQuantile(double probability)
{
	double		low = -40;
	double		high = 40;
	int			i;

	for (i = 0; i < 200; i++)
	{
		double		middle = (low + high) / 2;

		if (NormalCdf(middle) < probability)
			low = middle;
		else
			high = middle;
	}
	return high;
}

/*
 * Half-width t, in grid units, such that the noise DpIntegerNoise() draws
 * for the same statistic satisfies P(|Z| > t) <= alpha: the error bound
 * of a (1 - alpha) confidence interval. It depends on public parameters
 * only.
 *   Discrete Laplace with p = exp(-epsilon / (s max_groups parts)):
 *   P(|Z| > t) = 2 p^(t+1) / (1 + p) for an integer t >= 0.
 *   Discrete Gaussian: for t >= sigma - 1/2 the tail sum from t + 1 is at
 *   most the normal integral from t + 1/2 (convexity), so t = ceil(z sigma),
 *   z the normal quantile at 1 - alpha / 2, is enough when z >= 1.
 */
double
DpNoiseHalfWidth(const DpParams *params, uint64 sensitivity, int parts, double alpha)
{
	sensitivity = Max(sensitivity, 1);
	if (params->mechanism == DP_LAPLACE)
	{
		double		log_p = -EpsilonFromNanos(params->epsilon_nanos) /
			((double) sensitivity * params->max_groups * parts);
		double		p = exp(log_p);
		double		t = ceil(log(alpha * (1.0 + p) / 2.0) / log_p - 1.0);

		return Max(t, 0);
	}
	return ceil(NormalQuantile(1.0 - alpha / 2.0) *
				DpNoiseSigma(params, sensitivity, parts));
}
