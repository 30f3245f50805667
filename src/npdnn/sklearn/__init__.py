"""The scikit-learn side: :class:`~npdnn.sklearn.estimator.DNNClassifier`, its section of the
model file, its feature standardization, the skl2onnx converter and its fit on Dask input."""
