"""Exact linear regions in input space (``docs/math.md`` section 2).

A :class:`RegionSet` holds every activation region with non-empty interior of a
network restricted to a segment ``p + t (q - p)``, ``t ∈ [0, 1]``, to a convex polygon
of the plane ``x = origin + u e1 + v e2`` (any input dimension), or to a
full-dimensional :class:`Box` or :class:`Polytope` of the input space, or all of it
(:class:`Space`: unbounded regions as points and rays, :class:`SpaceRegionSet`).

How (Rust, ``regions_core::regions``): every hidden unit is the max of affine pieces
(ReLU ``[0, h]``, leaky ``[αh, h]``, maxout's pieces, a pooling window's inputs). A cell
carries the affine map of the current layer's input; a ReLU layer cuts it by each
unit's hyperplane and reads the pattern off the sides; a max unit keeps, per piece, the
part where that piece is the largest. Cells descend layer by layer, depth first and in
parallel, so ``count_only=True`` streams. Full-dimensional cells are polytopes stored
by vertices and facet incidences: a cut needs no LP (both sides have interior exactly
when vertices lie strictly on both sides; new vertices are edge crossings, edges found
by the combinatorial adjacency test).

Exactness (the default, ``exact=True``): every sign is decided by a filtered float
predicate with a proven error bound and, when that cannot decide, the cell is redone in
exact rational arithmetic on the float64 inputs. The regions are exact arithmetic's: none
without interior, none lost, whatever the degeneracy (``docs/math.md`` section 2).
``exact="rational"`` does all arithmetic exactly (the oracle of the default).

Tolerance (``exact=False``, the explicit choice): a vertex within
``tol · (|α| + ‖β‖₁ · extent)`` of a boundary ``α + β·x = 0`` lies on it (default
``tol = 1e-12``), so slivers thinner than that merge; on segments and planes, parts
smaller than ``tol^k`` times the domain are dropped too.
"""

from __future__ import annotations

from ._compute import domain_regions, local_counts, plane_regions, regions_through, segment_regions
from ._domains import Box, Polytope, Space
from ._kinds import DomainRegionSet, PlaneRegionSet, SegmentRegionSet
from ._sets import RegionSet
from ._space import SpaceRegionSet

__all__ = [
    "Box",
    "DomainRegionSet",
    "PlaneRegionSet",
    "Polytope",
    "RegionSet",
    "SegmentRegionSet",
    "Space",
    "SpaceRegionSet",
    "domain_regions",
    "local_counts",
    "plane_regions",
    "regions_through",
    "segment_regions",
]
