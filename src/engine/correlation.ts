// The correlations live in src/shared: the comparison panel's host computes them too.
export { pearson, ranks, spearman } from '../shared/correlation';
