/*
 * shamir.c
 *	  Shamir secret sharing of byte strings, in HashiCorp Vault's format.
 *
 * Format
 *	  Each byte of the secret is the constant term of its own random
 *	  polynomial over GF(2^8), reduced by x^8 + x^4 + x^3 + x + 1 (0x11B).
 *	  A share is the values of all those polynomials at one point x, in the
 *	  order of the secret's bytes, followed by x as one byte. Vault's
 *	  shamir package (Go) and the npm package shamir-secret-sharing 0.0.4
 *	  use this layout, so their shares and ours combine with each other.
 *
 * What is protected, and how
 *	  Fewer than threshold shares reveal nothing about the secret, provided
 *	  every coefficient other than the constant term is uniform over all 256
 *	  byte values, zero included. Forcing the leading coefficient to be
 *	  non-zero would leak. For exactly one s, the polynomial through the
 *	  points of threshold - 1 shares and (0, s) has degree below
 *	  threshold - 1, so a holder of those shares could rule that s out. The
 *	  npm package forced it after an audit and dropped that again in 0.0.4.
 *	  This file draws every coefficient uniformly with pg_strong_random().
 *	  The format does not depend on the choice, so shares stay compatible.
 *
 *	  The x values are distinct, non-zero and drawn by a partial
 *	  Fisher-Yates shuffle of 1..255 with unbiased rejection sampling. They
 *	  are public: they travel in every share.
 *
 *	  Arithmetic on secret bytes (the secret, the coefficients, the y bytes
 *	  of shares) runs in constant time: no table lookup and no branch
 *	  depends on them. Every product of a secret byte is by a public
 *	  factor, x when sharing and a Lagrange coefficient when combining. It
 *	  XORs the factor's multiples b * 2^k under masks made from the bits of
 *	  the secret operand. Sharing works on eight bytes at once, one per lane
 *	  of a 64-bit word. Combining works on sixteen bytes at once in a
 *	  vector register, where a signed comparison with zero turns each bit
 *	  into a mask. Loops depend only on public sizes: the secret's length,
 *	  the threshold and the share count.
 *
 *	  The Lagrange coefficients of combining are computed with log and exp
 *	  tables of GF(2^8). Those lookups are indexed by x values and XORs of
 *	  two x values only. x is public, being the last byte of every share,
 *	  so the memory accesses reveal nothing beyond the shares themselves.
 *
 *	  Buffers that held the secret, the coefficients or the rebuilt secret
 *	  are wiped with explicit_bzero() before they are freed. A secret that
 *	  PostgreSQL had to detoast is wiped too. The input datum itself and the
 *	  result belong to PostgreSQL and are not wiped.
 *
 * NOTE: an error or a query cancel in the middle of a call frees these
 * buffers with their memory context, without wiping them.
 *
 * What combining cannot check
 *	  A share does not record the threshold, so combining fewer shares than
 *	  the threshold returns a wrong value without any error. Only fewer
 *	  than two shares are rejected. Shares of two different secrets of the
 *	  same length combine into a wrong value, too. Callers who need to know
 *	  keep a fingerprint of the secret, such as its SHA-256, and compare.
 */
#include "postgres.h"

#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "ciam_privacy.h"

/* Low bit and high bit of every byte lane of a 64-bit word */
#define LANES_LOW_BITS	UINT64CONST(0x0101010101010101)
#define LANES_HIGH_BITS UINT64CONST(0x8080808080808080)

/* x^8 = x^4 + x^3 + x + 1 in GF(2^8): the low byte of 0x11B */
#define GF256_REDUCTION 0x1B

/* Random bytes drawn per pg_strong_random() call for coefficients */
#define COEFFICIENT_BATCH_BYTES 4096

/* Size of the buffer that serves small requests for random bytes */
#define RANDOM_BUFFER_SIZE 4096

/*
 * Products b * 2^k, k = 0..7, of a public factor b, each in all eight
 * lanes, so that multiplying by b takes eight independent steps instead of
 * a chain of eight doublings.
 */
typedef struct Gf256Multiples
{
	uint64		times_power_of_two[8];
} Gf256Multiples;

static void
Gf256PrepareMultiples(uint8 b, Gf256Multiples *multiples)
{
	uint64		lanes = b * LANES_LOW_BITS;
	int			k;

	for (k = 0; k < 8; k++)
	{
		multiples->times_power_of_two[k] = lanes;
		lanes = ((lanes & ~LANES_HIGH_BITS) << 1) ^
			(((lanes & LANES_HIGH_BITS) >> 7) * GF256_REDUCTION);
	}
}

/*
 * Multiply each lane of a, which may be secret, by the public factor whose
 * multiples are given, in constant time: the sum over k of (bit k of a) *
 * (b * 2^k), with masks instead of branches.
 */
static inline uint64
Gf256MulByMultiples(uint64 a, const Gf256Multiples *multiples)
{
	uint64		product = 0;
	int			k;

#pragma GCC unroll 8
	for (k = 0; k < 8; k++)
		product ^= (((a >> k) & LANES_LOW_BITS) * 0xFF) & multiples->times_power_of_two[k];
	return product;
}

/*
 * Sixteen byte lanes in one vector, written with the vector extensions of
 * GCC and Clang. On x86-64 they compile to SSE2 instructions.
 */
typedef uint8 Gf256Block __attribute__((vector_size(16)));
typedef int8 Gf256SignedBlock __attribute__((vector_size(16)));

#define GF256_BLOCK_BYTES ((Size) sizeof(Gf256Block))

/* Products b * 2^k, k = 0..7, of a public factor b, in all sixteen lanes */
typedef struct Gf256BlockMultiples
{
	Gf256Block	times_power_of_two[8];
} Gf256BlockMultiples;

static void
Gf256PrepareBlockMultiples(uint8 b, Gf256BlockMultiples *multiples)
{
	int			k;

	for (k = 0; k < 8; k++)
	{
		multiples->times_power_of_two[k] = (Gf256Block) {0} + b;
		b = (uint8) ((b << 1) ^ ((b >> 7) * GF256_REDUCTION));
	}
}

/*
 * Multiply each lane of a, which may be secret, by the public factor whose
 * multiples are given, in constant time. Bit k of every lane, from the top
 * bit down, becomes a mask by a signed comparison with zero (one compare
 * instruction, no branch), then a doubling (a lane-wise add) brings the
 * next bit to the top.
 */
static inline Gf256Block
Gf256MulBlockByMultiples(Gf256Block a, const Gf256BlockMultiples *multiples)
{
	Gf256Block	product = {0};
	int			k;

#pragma GCC unroll 8
	for (k = 7; k >= 0; k--)
	{
		Gf256Block	take = (Gf256Block) ((Gf256SignedBlock) a < 0);

		product ^= take & multiples->times_power_of_two[k];
		a += a;
	}
	return product;
}

/*
 * Logarithms and powers of the generator 3 in GF(2^8) with 0x11B, for
 * Lagrange coefficients only. Every index into them is an x value of a
 * share or an XOR of two x values, never a y byte, and x travels in the
 * clear as the last byte of every share. So the cache lines that a lookup
 * touches reveal nothing that the shares themselves do not show.
 */
static uint8 Gf256Log[256];
static uint8 Gf256Exp[255];
static bool Gf256TablesReady = false;

static void
Gf256BuildTables(void)
{
	uint8		power = 1;
	int			i;

	for (i = 0; i < 255; i++)
	{
		Gf256Exp[i] = power;
		Gf256Log[power] = (uint8) i;
		/* power * 3 = power * 2 + power */
		power ^= (uint8) ((power << 1) ^ ((power >> 7) * GF256_REDUCTION));
	}
	Gf256TablesReady = true;
}

/*
 * Compute the Lagrange basis at 0 of the distinct non-zero public points
 * xs[0..count - 1]: basis[i] = prod over j != i of x_j / (x_i + x_j),
 * addition being XOR. The logarithm of a product is the sum of the
 * logarithms, modulo 255.
 */
static void
LagrangeBasisAtZero(const uint8 *xs, int count, uint8 *basis)
{
	int			log_all_x = 0;
	int			i;
	int			j;

	if (!Gf256TablesReady)
		Gf256BuildTables();
	for (j = 0; j < count; j++)
		log_all_x += Gf256Log[xs[j]];
	for (i = 0; i < count; i++)
	{
		int			log_numerator = log_all_x - Gf256Log[xs[i]];
		int			log_denominator = 0;

		for (j = 0; j < count; j++)
			if (j != i)
				log_denominator += Gf256Log[xs[i] ^ xs[j]];
		/* count <= 255, so both sums lie in [0, 255 * 254] */
		basis[i] = Gf256Exp[(log_numerator - log_denominator + 255 * 255) % 255];
	}
}

/* Fill buf with len bytes straight from pg_strong_random(). */
static void
FillRandom(void *buf, size_t len)
{
	if (!pg_strong_random(buf, len))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes for Shamir secret sharing")));
}

/*
 * Fill buf with len bytes from the cryptographic generator. Small requests
 * are served from a buffer of RANDOM_BUFFER_SIZE bytes that one
 * pg_strong_random() call refills, since each call costs about as much as
 * sharing a short secret. Bytes are zeroed in the buffer once handed out,
 * and a forked child discards its parent's buffer without using it.
 */
void
ShamirRandomBytes(void *buf, size_t len)
{
	static uint8 buffer[RANDOM_BUFFER_SIZE];
	static size_t used = RANDOM_BUFFER_SIZE;
	static int	owner_pid = 0;
	uint8	   *out = (uint8 *) buf;

	if (owner_pid != MyProcPid)
	{
		explicit_bzero(buffer, sizeof(buffer));
		used = RANDOM_BUFFER_SIZE;
		owner_pid = MyProcPid;
	}
	if (len >= RANDOM_BUFFER_SIZE / 2)
	{
		FillRandom(buf, len);
		return;
	}
	while (len > 0)
	{
		size_t		chunk;

		if (used == RANDOM_BUFFER_SIZE)
		{
			FillRandom(buffer, sizeof(buffer));
			used = 0;
		}
		chunk = Min(len, RANDOM_BUFFER_SIZE - used);
		memcpy(out, buffer + used, chunk);
		explicit_bzero(buffer + used, chunk);
		used += chunk;
		out += chunk;
		len -= chunk;
	}
}

/* Return an integer drawn uniformly from [0, bound), 1 <= bound <= 256. */
static int
UniformByteBelow(int bound)
{
	/* Largest multiple of bound that fits in 256 values */
	int			limit = 256 - 256 % bound;

	for (;;)
	{
		uint8		draw;

		ShamirRandomBytes(&draw, 1);
		if (draw < limit)
			return draw % bound;
	}
}

/*
 * Choose nshares distinct x values from 1..255 into xs, uniformly at random,
 * by the first nshares steps of a Fisher-Yates shuffle.
 */
static void
ChooseXCoordinates(uint8 *xs, int nshares)
{
	uint8		pool[255];
	int			i;

	for (i = 0; i < 255; i++)
		pool[i] = (uint8) (i + 1);
	for (i = 0; i < nshares; i++)
	{
		int			j = i + UniformByteBelow(255 - i);
		uint8		swap = pool[i];

		pool[i] = pool[j];
		pool[j] = swap;
		xs[i] = pool[i];
	}
}

/* Raise an error unless a threshold and share count are usable. */
static void
CheckShareCounts(int threshold, int nshares)
{
	if (nshares > CIAM_SHAMIR_MAX_SHARES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of shares %d is above the maximum of %d",
						nshares, CIAM_SHAMIR_MAX_SHARES),
				 errdetail("Each share needs its own non-zero x value in 1..255.")));
	if (nshares < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of shares %d is below the minimum of 2", nshares)));
	if (threshold < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold %d is below the minimum of 2", threshold),
				 errdetail("With a threshold below 2, one share alone would reveal the secret.")));
	if (threshold > nshares)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold %d is above the number of shares %d",
						threshold, nshares),
				 errdetail("The secret could never be rebuilt.")));
}

/*
 * Validate the threshold and share count, as the byte and integer share
 * functions both do, NULL arguments included.
 */
void
ShamirCheckShareArguments(FunctionCallInfo fcinfo, const char *function,
						  const char *first_argument)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s of %s must not be null", first_argument, function)));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("threshold and number of shares of %s must not be null",
						function)));
	CheckShareCounts(PG_GETARG_INT32(1), PG_GETARG_INT32(2));
}

/* Storage of the element type of an array of shares, cached in fn_extra */
typedef struct ShareElementType
{
	Oid			type;
	int16		typlen;
	bool		typbyval;
	char		typalign;
} ShareElementType;

/*
 * Point elements[] at the elements of the first argument, which must be a
 * non-null, one-dimensional array of 2 to CIAM_SHAMIR_MAX_SHARES elements
 * without NULL elements, or raise an error. elements[] needs room for
 * CIAM_SHAMIR_MAX_SHARES pointers. The pointers lead into the array's own
 * data, which deconstruct_array() would copy into a new Datum array on every
 * call. Return the detoasted array, for ShamirFreeShares().
 */
ArrayType *
ShamirGetShares(FunctionCallInfo fcinfo, Pointer *elements, int *count)
{
	ArrayType  *array;
	ShareElementType *element = (ShareElementType *) fcinfo->flinfo->fn_extra;
	bits8	   *null_bitmap;
	char	   *cursor;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array of shares must not be null")));
	array = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array of shares must be one-dimensional, not %d-dimensional",
						ARR_NDIM(array))));
	*count = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));

	null_bitmap = ARR_NULLBITMAP(array);
	for (i = 0; null_bitmap != NULL && i < *count; i++)
		if ((null_bitmap[i / 8] & (1 << (i % 8))) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("share %d of the array is null", i + 1)));
	if (*count < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at least 2 shares are needed, got %d", *count),
				 errdetail("Every threshold is at least 2.")));
	if (*count > CIAM_SHAMIR_MAX_SHARES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d shares are more than the maximum of %d",
						*count, CIAM_SHAMIR_MAX_SHARES),
				 errdetail("Distinct non-zero x values allow at most 255 shares.")));

	/* The catalog lookup costs more than the rest of a short combine */
	if (element == NULL || element->type != ARR_ELEMTYPE(array))
	{
		element = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(ShareElementType));
		element->type = ARR_ELEMTYPE(array);
		get_typlenbyvalalign(element->type, &element->typlen, &element->typbyval,
							 &element->typalign);
		fcinfo->flinfo->fn_extra = element;
	}
	if (element->typbyval)
		elog(ERROR, "shares of type %u are passed by value", element->type);

	/* Elements follow each other, each aligned, as array_iter_next() reads them */
	cursor = ARR_DATA_PTR(array);
	for (i = 0; i < *count; i++)
	{
		elements[i] = cursor;
		cursor = att_addlength_pointer(cursor, element->typlen, cursor);
		cursor = (char *) att_align_nominal(cursor, element->typalign);
	}
	return array;
}

/*
 * Wipe and free the array of shares if detoasting copied it, since enough
 * shares together are the secret.
 */
void
ShamirFreeShares(FunctionCallInfo fcinfo, ArrayType *array)
{
	if ((Pointer) array != DatumGetPointer(PG_GETARG_DATUM(0)))
	{
		explicit_bzero(array, VARSIZE(array));
		pfree(array);
	}
}

/*
 * Raise an error if an x value is zero or appears twice. The message names
 * share positions and x values, which are public, never y bytes.
 */
void
ShamirCheckXCoordinates(const uint8 *xs, int count)
{
	uint64		seen[4] = {0, 0, 0, 0};
	int			i;
	int			j;

	for (i = 0; i < count; i++)
	{
		uint64		bit = UINT64CONST(1) << (xs[i] % 64);

		if (xs[i] == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("share %d has the x value 0", i + 1),
					 errdetail("A share at x = 0 would be the secret; no valid share has it.")));
		if (seen[xs[i] / 64] & bit)
		{
			for (j = 0; xs[j] != xs[i]; j++)
				;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("shares %d and %d have the same x value %d",
							j + 1, i + 1, xs[i]),
					 errhint("Pass each share once.")));
		}
		seen[xs[i] / 64] |= bit;
	}
}

PG_FUNCTION_INFO_V1(shamir_share);

/*
 * shamir_share(secret bytea, threshold int, shares int) returns bytea[]
 *
 * Every share is a polynomial's values at its x for all secret bytes,
 * followed by x. Eight secret bytes are processed at a time, one per lane.
 */
Datum
shamir_share(PG_FUNCTION_ARGS)
{
	bytea	   *secret;
	int			threshold;
	int			nshares;
	int			degree;
	Size		secret_len;
	Size		chunk_count;
	Size		chunks_per_batch;
	Size		share_size;
	Size		share_stride;
	Size		result_size;
	uint8		xs[CIAM_SHAMIR_MAX_SHARES];
	bytea	   *shares[CIAM_SHAMIR_MAX_SHARES];
	Gf256Multiples x_multiples[CIAM_SHAMIR_MAX_SHARES];
	uint64	   *coefficients;
	uint64		intercept = 0;
	uint64		y = 0;
	Size		chunk;
	ArrayType  *result;
	int			i;

	ShamirCheckShareArguments(fcinfo, "shamir_share", "secret");
	threshold = PG_GETARG_INT32(1);
	nshares = PG_GETARG_INT32(2);
	degree = threshold - 1;

	secret = PG_GETARG_BYTEA_PP(0);
	secret_len = VARSIZE_ANY_EXHDR(secret);
	if (secret_len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("secret of shamir_share must not be empty")));
	/*
	 * The shares are written straight into the result array: one
	 * dimension, no NULL bitmap, elements at a stride of share_size
	 * rounded up to the int alignment of bytea.
	 */
	share_size = VARHDRSZ + secret_len + 1;
	share_stride = INTALIGN(share_size);
	if (secret_len > MaxAllocSize ||
		(Size) nshares * share_stride + ARR_OVERHEAD_NONULLS(1) >= MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%d shares of a secret of %zu bytes exceed the maximum array size of 1 GB",
						nshares, secret_len)));
	result_size = ARR_OVERHEAD_NONULLS(1) + (Size) nshares * share_stride;
	result = palloc0(result_size);
	SET_VARSIZE(result, result_size);
	result->ndim = 1;
	result->dataoffset = 0;
	result->elemtype = BYTEAOID;
	ARR_DIMS(result)[0] = nshares;
	ARR_LBOUND(result)[0] = 1;

	ChooseXCoordinates(xs, nshares);
	for (i = 0; i < nshares; i++)
	{
		Gf256PrepareMultiples(xs[i], &x_multiples[i]);
		shares[i] = (bytea *) (ARR_DATA_PTR(result) + i * share_stride);
		SET_VARSIZE(shares[i], share_size);
		VARDATA(shares[i])[secret_len] = (char) xs[i];
	}

	/*
	 * Coefficients 1..degree of every chunk of eight secret bytes. They are
	 * drawn in batches of up to COEFFICIENT_BATCH_BYTES, at least one chunk
	 * per batch.
	 */
	chunk_count = (secret_len + 7) / 8;
	chunks_per_batch = Max(1, COEFFICIENT_BATCH_BYTES / (degree * sizeof(uint64)));
	chunks_per_batch = Min(chunks_per_batch, chunk_count);
	coefficients = palloc(chunks_per_batch * degree * sizeof(uint64));

	for (chunk = 0; chunk < chunk_count; chunk++)
	{
		Size		offset = chunk * 8;
		Size		width = Min(8, secret_len - offset);
		uint64	   *chunk_coefficients;

		CHECK_FOR_INTERRUPTS();
		if (chunk % chunks_per_batch == 0)
		{
			Size		batch = Min(chunks_per_batch, chunk_count - chunk);

			ShamirRandomBytes(coefficients, batch * degree * sizeof(uint64));
		}
		chunk_coefficients = coefficients + (chunk % chunks_per_batch) * degree;
		intercept = 0;
		memcpy(&intercept, VARDATA_ANY(secret) + offset, width);

		for (i = 0; i < nshares; i++)
		{
			int			k;

			/* Horner: y = (...(c[d] x + c[d-1]) x + ...) x + intercept */
			y = chunk_coefficients[degree - 1];
			for (k = degree - 2; k >= 0; k--)
				y = Gf256MulByMultiples(y, &x_multiples[i]) ^ chunk_coefficients[k];
			y = Gf256MulByMultiples(y, &x_multiples[i]) ^ intercept;
			/* A constant size lets the compiler store the word in one move */
			if (width == 8)
				memcpy(VARDATA(shares[i]) + offset, &y, 8);
			else
				memcpy(VARDATA(shares[i]) + offset, &y, width);
		}
	}
	explicit_bzero(&y, sizeof(y));
	explicit_bzero(&intercept, sizeof(intercept));
	explicit_bzero(coefficients, chunks_per_batch * degree * sizeof(uint64));
	pfree(coefficients);

	if ((Pointer) secret != DatumGetPointer(PG_GETARG_DATUM(0)))
	{
		explicit_bzero(VARDATA_ANY(secret), secret_len);
		pfree(secret);
	}

	PG_RETURN_ARRAYTYPE_P(result);
}

PG_FUNCTION_INFO_V1(shamir_combine);

/*
 * shamir_combine(shares bytea[]) returns bytea
 *
 * Lagrange interpolation at 0: secret = sum of y_i * L_i with
 * L_i = prod over j != i of x_j / (x_i + x_j), addition being XOR. The
 * L_i depend only on the public x values, so they are computed once, and
 * the y bytes are multiplied by them sixteen at a time in constant time.
 */
Datum
shamir_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *array;
	Pointer		elements[CIAM_SHAMIR_MAX_SHARES];
	int			count;
	bytea	   *shares[CIAM_SHAMIR_MAX_SHARES];
	uint8		xs[CIAM_SHAMIR_MAX_SHARES];
	uint8		basis[CIAM_SHAMIR_MAX_SHARES];
	Gf256BlockMultiples basis_multiples[CIAM_SHAMIR_MAX_SHARES];
	Gf256Block	y;
	Gf256Block	value;
	uint8		tail[GF256_BLOCK_BYTES];
	Size		share_len;
	Size		secret_len;
	Size		full_blocks_end;
	Size		offset;
	bytea	   *secret;
	int			i;

	array = ShamirGetShares(fcinfo, elements, &count);

	for (i = 0; i < count; i++)
		shares[i] = DatumGetByteaPP(PointerGetDatum(elements[i]));

	share_len = VARSIZE_ANY_EXHDR(shares[0]);
	for (i = 0; i < count; i++)
	{
		Size		len = VARSIZE_ANY_EXHDR(shares[i]);

		if (len < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("share %d has length %zu, below the minimum of 2 bytes",
							i + 1, len),
					 errdetail("A share holds at least one secret byte and its x value.")));
		if (len != share_len)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("share %d has length %zu but share 1 has length %zu",
							i + 1, len, share_len),
					 errdetail("Shares of one secret all have the same length.")));
		xs[i] = (uint8) VARDATA_ANY(shares[i])[len - 1];
	}
	ShamirCheckXCoordinates(xs, count);

	LagrangeBasisAtZero(xs, count, basis);
	for (i = 0; i < count; i++)
		Gf256PrepareBlockMultiples(basis[i], &basis_multiples[i]);

	secret_len = share_len - 1;
	secret = palloc(VARHDRSZ + secret_len);
	SET_VARSIZE(secret, VARHDRSZ + secret_len);
	full_blocks_end = secret_len - secret_len % GF256_BLOCK_BYTES;
	for (offset = 0; offset < full_blocks_end; offset += GF256_BLOCK_BYTES)
	{
		if (offset % 4096 == 0)
			CHECK_FOR_INTERRUPTS();
		value = (Gf256Block) {0};
		for (i = 0; i < count; i++)
		{
			memcpy(&y, VARDATA_ANY(shares[i]) + offset, GF256_BLOCK_BYTES);
			value ^= Gf256MulBlockByMultiples(y, &basis_multiples[i]);
		}
		memcpy(VARDATA(secret) + offset, &value, GF256_BLOCK_BYTES);
	}
	if (full_blocks_end < secret_len)
	{
		Size		width = secret_len - full_blocks_end;

		value = (Gf256Block) {0};
		for (i = 0; i < count; i++)
		{
			memset(tail, 0, sizeof(tail));
			memcpy(tail, VARDATA_ANY(shares[i]) + full_blocks_end, width);
			memcpy(&y, tail, sizeof(tail));
			value ^= Gf256MulBlockByMultiples(y, &basis_multiples[i]);
		}
		memcpy(tail, &value, sizeof(tail));
		memcpy(VARDATA(secret) + full_blocks_end, tail, width);
	}
	explicit_bzero(&y, sizeof(y));
	explicit_bzero(&value, sizeof(value));
	explicit_bzero(tail, sizeof(tail));

	/* Detoasted copies of shares, taken together, hold the secret */
	for (i = 0; i < count; i++)
		if ((Pointer) shares[i] != elements[i])
		{
			explicit_bzero(shares[i], VARSIZE_ANY(shares[i]));
			pfree(shares[i]);
		}
	ShamirFreeShares(fcinfo, array);

	PG_RETURN_BYTEA_P(secret);
}
