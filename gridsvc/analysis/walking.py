"""Walking distance along roads (domain.md §8.4: "straight-line unless roads are loaded").

The road lines are cut at every crossing and every ``STEP`` metres into short edges between nodes. A
place joins the road at the nearest point of its nearest edge, in a straight line, and walks from
there to either end of that edge; so a walk is: to the road, along roads, from the road. Two streets
meeting at (100, 0), a facility at (0, 5), walks up to 400 m:

>>> import shapely
>>> streets = [shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (100, 100)])]
>>> net = RoadNetwork(streets)
>>> places = [shapely.Point(100, 95), shapely.Point(50, 10), shapely.Point(3, 2), shapely.Point(100, 300)]
>>> [round(float(d), 1) for d in net.distances([shapely.Point(0, 5)], places, 400)]
[200.0, 65.0, 10.0, inf]
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

STEP = 20.0  # metres: the longest edge
_SOURCE_EDGE = 1e-9  # a weight of zero would be no edge at all in a sparse graph


class RoadNetwork:
    """The roads as a graph in a metric CRS."""

    def __init__(self, lines) -> None:
        lines = [g for g in np.asarray(lines, dtype=object) if g is not None and not g.is_empty]
        noded = shapely.node(shapely.multilinestrings(shapely.segmentize(lines, STEP))) if lines else None
        pieces = shapely.get_parts(noded) if noded is not None else np.array([], dtype=object)
        coords, owner = shapely.get_coordinates(pieces, return_index=True)
        # every node once: the pieces that meet at a crossing share its node
        nodes, index = np.unique(np.round(coords, 3), axis=0, return_inverse=True)
        index = index.ravel()
        same = owner[1:] == owner[:-1]  # consecutive vertices of one piece make an edge
        self.a, self.b = index[:-1][same], index[1:][same]
        self.segments = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
        self.length = shapely.length(self.segments)
        self.size = len(nodes)
        self._tree = shapely.STRtree(self.segments) if len(self.segments) else None

    def __bool__(self) -> bool:
        return self._tree is not None

    def _join(self, places) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each place's nearest edge, its straight distance to it, and how far along the edge it joins."""
        places = np.asarray(places, dtype=object)
        _, edge = self._tree.query_nearest(places, all_matches=False)
        segment = self.segments[edge]
        return edge, shapely.distance(places, segment), shapely.line_locate_point(segment, places)

    def distances(self, sites, places, limit: float) -> np.ndarray:
        """The walk from each of ``places`` to its nearest of ``sites``; ``inf`` beyond ``limit``."""
        if not self or not len(sites) or not len(places):
            return np.full(len(places), np.inf)
        edge, off, at = self._join(sites)
        source = self.size  # one more node, joined to both ends of each site's edge by the walk there
        rows = np.concatenate([self.a, self.b, np.full(2 * len(edge), source)])
        cols = np.concatenate([self.b, self.a, self.a[edge], self.b[edge]])
        weights = np.concatenate([self.length, self.length, off + at, off + self.length[edge] - at]) + _SOURCE_EDGE
        # a pair of nodes joined twice keeps its shorter edge (a sparse matrix would add them up)
        order = np.argsort(weights, kind="stable")
        _, first = np.unique(rows[order] * (source + 1) + cols[order], return_index=True)
        keep = order[first]
        graph = coo_matrix((weights[keep], (rows[keep], cols[keep])), shape=(source + 1, source + 1)).tocsr()
        along = dijkstra(graph, directed=True, indices=source, limit=limit)
        p_edge, p_off, p_at = self._join(places)
        ends = np.minimum(along[self.a[p_edge]] + p_at, along[self.b[p_edge]] + self.length[p_edge] - p_at)
        walk = ends + p_off
        # a place on a site's own edge walks straight along it
        for i in np.flatnonzero(np.isin(p_edge, edge)):
            mine = edge == p_edge[i]
            walk[i] = min(walk[i], float(np.min(off[mine] + np.abs(at[mine] - p_at[i]))) + p_off[i])
        return np.where(walk <= limit, walk, np.inf)
