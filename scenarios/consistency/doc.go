// Package consistency holds the scenarios of the course's chapter on
// consistency models, CAP and PACELC (seed 003 §3 and exercise 1, 000/002
// §2.1): the ladder of consistency models with a checker for each rung,
// the "else" half of PACELC (latency against consistency with no partition
// at all), and exercise 1's five systems, each run as a CP and as an AP
// store under the same partition.
package consistency
