/*
 * paillier.h
 *	  Types shared by the Paillier files: paillier.c (the ciphertext type and
 *	  its operations), paillier_key.c (keys, their registry and encryption
 *	  randomness) and paillier_gmp.c (GMP memory and conversions).
 */
#ifndef PAILLIER_H
#define PAILLIER_H

#include "postgres.h"

#include <gmp.h>

#include "fmgr.h"

#define PAILLIER_FINGERPRINT_LEN	16
#define PAILLIER_MIN_BITS			2048
#define PAILLIER_DEFAULT_BITS		3072
#define PAILLIER_MAX_BITS			8192

/*
 * Window width, in exponent bits, of the fixed-base table used for the
 * encryption randomness: 2^5 = 32 entries per window.
 */
#define PAILLIER_WINDOW_BITS		5
#define PAILLIER_WINDOW_ENTRIES		(1 << PAILLIER_WINDOW_BITS)

/* Largest decimal scale of an encrypted numeric (numeric's own limit) */
#define PAILLIER_MAX_SCALE			1000

/*
 * Magnitude bounds recorded in ciphertexts: a bigint has |m| < 2^64, an
 * encrypted numeric, once scaled to an integer, |m| < 2^128.
 */
#define PAILLIER_BIGINT_BOUND		64
#define PAILLIER_NUMERIC_BOUND		128

/*
 * A ciphertext as stored, after the varlena header: the key fingerprint,
 * the decimal scale, the bound B with |plaintext| < 2^B, then c big-endian
 * on exactly 2 * (bytes of n) bytes. All fields are read with memcpy, since
 * the datum may be unaligned (short varlena header).
 */
#define PAILLIER_HEADER_LEN		(PAILLIER_FINGERPRINT_LEN + 2 + 2)

/* A public key as cached per backend; never freed once loaded. */
typedef struct PaillierKey
{
	uint8		fingerprint[PAILLIER_FINGERPRINT_LEN];
	bool		valid;			/* false until every field below is set */
	char		name[NAMEDATALEN * 2];
	int			bits;			/* bits of n */
	int			cipher_bytes;	/* 2 * bytes of n */
	bool		simple_g;		/* g = n + 1 */
	mpz_t		n;
	mpz_t		n2;
	mpz_t		g;
	mpz_t		max_int;		/* floor(n / 3) - 1: largest |m| encoded */

	/*
	 * Fixed-base table for r^n, built at the first encryption: entry (i, j)
	 * is hs^(j * 32^i) mod n^2, on n2_limbs limbs. Freed when the cache
	 * keeps too many tables.
	 */
	mp_limb_t  *table;
	int			windows;
	mp_size_t	n2_limbs;
	mp_limb_t  *n2_limb_copy;
	uint64		table_used;		/* for eviction, least recently used first */
} PaillierKey;

/* A private key, held only for the duration of one statement. */
typedef struct PaillierPrivateKey
{
	const PaillierKey *key;
	mpz_t		p;
	mpz_t		q;
	mpz_t		p2;
	mpz_t		q2;
	mpz_t		hp;				/* L_p(g^(p-1) mod p^2)^-1 mod p */
	mpz_t		hq;
	mpz_t		p_inv_q;		/* p^-1 mod q */
} PaillierPrivateKey;

/* paillier_gmp.c */
extern void PaillierGmpBegin(void);
extern void PaillierGmpEnd(void);
extern void PaillierInstallGmpCallbacks(void);
extern void MpzFromBytes(mpz_t rop, const uint8 *bytes, size_t len);
extern void MpzToFixedBytes(const mpz_t op, uint8 *out, size_t len);
extern bytea *MpzToBytea(const mpz_t op);
extern Datum MpzToNumeric(const mpz_t op, int scale);
extern void MpzFromNumeric(mpz_t rop, Datum numeric, int scale);
extern void MpzRandomBelow(mpz_t rop, const mpz_t bound);

/* paillier_key.c */
extern PaillierKey *PaillierKeyByFingerprint(const uint8 *fingerprint,
										  bool missing_ok);
extern PaillierKey *PaillierKeyByName(text *name);
extern void PaillierRandomNthPower(PaillierKey *key, mpz_t rop);
extern PaillierPrivateKey *PaillierLoadPrivateKey(const PaillierKey *key);
extern void PaillierFreePrivateKey(PaillierPrivateKey *priv);
extern void PaillierDecryptRaw(const PaillierPrivateKey *priv, mpz_t m,
							   const mpz_t c);

#endif							/* PAILLIER_H */
